package client

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// OfflineClockSkew bounds how far a proposal's timestamp may be from this machine's clock: the
// chaincode decides with it (maturity, the time of a decision), so a gateway must not choose it.
const OfflineClockSkew = 5 * time.Minute

// Approved is a write the user approved: the operation, its path value (as SubmitOffline takes
// it) and its request body. A proposal is signed only if it carries what the client rebuilds
// from these with the wire contract's own mapping (wire.Op.Args, wire.Op.TransientArgs), the
// one the gateway runs.
type Approved struct {
	Op   *wire.Op
	ID   string
	Body []byte
}

// Expect is the rest of what an offline proposal must carry: the signer, and the channel and
// chaincode ("": any, which SubmitOffline then fixes for the Client's life).
type Expect struct {
	Signer    *Identity
	Channel   string
	Chaincode string
	Now       time.Time // zero: time.Now()
}

// UnapprovedError is the refusal to sign bytes that do not carry what the user approved: what
// differs, what the gateway asked to sign and what the user approved.
type UnapprovedError struct {
	TransactionID string
	What          string
	Asked         string
	Approved      string
}

func (e *UnapprovedError) Error() string {
	msg := fmt.Sprintf("refusing to sign: the %s differs: the gateway asked to sign %s but you approved %s", e.What, e.Asked, e.Approved)
	if e.TransactionID != "" {
		msg += " [tx " + e.TransactionID + "]"
	}
	return msg
}

// Proposal is what a proposal's bytes commit to, read by ReadProposal.
type Proposal struct {
	TransactionID string
	Channel       string
	Chaincode     string
	Function      string
	Args          []string
	Transient     map[string][]byte
	MSPID         string
	Creator       *x509.Certificate
	Time          time.Time

	creator []byte // the signature header's creator, as serialized
	nonce   []byte
	header  *common.Header
	payload *peer.ChaincodeProposalPayload
}

// ReadProposal reads a peer.Proposal's bytes: a proposal that is not one of a chaincode
// invocation by a certificate is refused.
func ReadProposal(b []byte) (*Proposal, error) {
	var prop peer.Proposal
	var p Proposal
	p.header, p.payload = &common.Header{}, &peer.ChaincodeProposalPayload{}
	var chdr common.ChannelHeader
	var shdr common.SignatureHeader
	var ext peer.ChaincodeHeaderExtension
	var spec peer.ChaincodeInvocationSpec
	var creator msp.SerializedIdentity
	// Each step reads bytes the step before it decoded.
	for _, step := range []struct {
		what string
		b    func() []byte
		m    proto.Message
	}{
		{"proposal", func() []byte { return b }, &prop},
		{"header", prop.GetHeader, p.header},
		{"channel header", p.header.GetChannelHeader, &chdr},
		{"signature header", p.header.GetSignatureHeader, &shdr},
		{"chaincode header extension", chdr.GetExtension, &ext},
		{"proposal payload", prop.GetPayload, p.payload},
		{"invocation", p.payload.GetInput, &spec},
		{"creator", shdr.GetCreator, &creator},
	} {
		if err := proto.Unmarshal(step.b(), step.m); err != nil {
			return nil, fmt.Errorf("the gateway sent a malformed proposal: its %s: %w", step.what, err)
		}
	}
	if chdr.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, fmt.Errorf("the gateway sent a proposal of type %d, not a chaincode invocation", chdr.GetType())
	}
	args := spec.GetChaincodeSpec().GetInput().GetArgs()
	if len(args) == 0 {
		return nil, errors.New("the gateway sent a proposal that names no function")
	}
	if ext.GetChaincodeId().GetName() != spec.GetChaincodeSpec().GetChaincodeId().GetName() {
		return nil, fmt.Errorf("the gateway sent a proposal whose header names chaincode %q and whose invocation names %q",
			ext.GetChaincodeId().GetName(), spec.GetChaincodeSpec().GetChaincodeId().GetName())
	}
	block, _ := pem.Decode(creator.GetIdBytes())
	if block == nil {
		return nil, errors.New("the gateway sent a proposal whose creator has no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the gateway sent a proposal whose creator's certificate does not parse: %w", err)
	}
	p.TransactionID, p.Channel, p.Chaincode = chdr.GetTxId(), chdr.GetChannelId(), ext.GetChaincodeId().GetName()
	p.Function = string(args[0])
	for _, a := range args[1:] {
		p.Args = append(p.Args, string(a))
	}
	p.Transient, p.MSPID, p.Creator = p.payload.GetTransientMap(), creator.GetMspid(), cert
	p.creator, p.nonce = shdr.GetCreator(), shdr.GetNonce()
	p.Time = chdr.GetTimestamp().AsTime()
	return &p, nil
}

// Check compares the proposal with what the user approved and expects: nil, or an
// *UnapprovedError naming the first difference (other errors for an approval that does not
// build). txID is the transaction id the gateway announced.
func (p *Proposal) Check(txID string, want Approved, exp Expect) error {
	refuse := func(what, asked, approved string) error {
		return &UnapprovedError{TransactionID: p.TransactionID, What: what, Asked: asked, Approved: approved}
	}
	if exp.Signer != nil {
		if !bytes.Equal(p.Creator.Raw, exp.Signer.Cert.Raw) || (exp.Signer.MSPID != "" && p.MSPID != exp.Signer.MSPID) {
			return refuse("creator", "as "+certName(p.MSPID, p.Creator), "signing as "+certName(exp.Signer.MSPID, exp.Signer.Cert)+" (your certificate: is it the one of the account your token names?)")
		}
	}
	sum := sha256.Sum256(append(append([]byte(nil), p.nonce...), p.creator...))
	if derived := hex.EncodeToString(sum[:]); len(p.nonce) == 0 || p.TransactionID != derived || txID != derived {
		return refuse("transaction id", fmt.Sprintf("transaction %q (announced as %q)", p.TransactionID, txID),
			fmt.Sprintf("the id its nonce and creator make, %q", derived))
	}
	if exp.Channel != "" && p.Channel != exp.Channel {
		return refuse("channel", "on channel "+p.Channel, "channel "+exp.Channel)
	}
	if exp.Chaincode != "" && p.Chaincode != exp.Chaincode {
		return refuse("chaincode", "for chaincode "+p.Chaincode, "chaincode "+exp.Chaincode)
	}
	now := exp.Now
	if now.IsZero() {
		now = time.Now()
	}
	if d := p.Time.Sub(now); d > OfflineClockSkew || d < -OfflineClockSkew {
		return refuse("time", "at "+p.Time.UTC().Format(time.RFC3339), "now ("+now.UTC().Format(time.RFC3339)+", within "+OfflineClockSkew.String()+")")
	}
	args, transient, err := p.rebuild(want)
	if err != nil {
		return err
	}
	asked, approved := call(p.Function, p.Args), call(want.Op.Tx, args)
	if p.Function != want.Op.Tx {
		return refuse("function", asked, approved)
	}
	if len(p.Args) != len(args) {
		return refuse("number of arguments", asked, approved)
	}
	for i, a := range args {
		if p.Args[i] != a {
			return refuse("argument "+want.Op.Params[i].Name, asked, approved)
		}
	}
	if !maps.EqualFunc(p.Transient, transient, bytes.Equal) {
		return refuse("private (transient) data", want.Op.Tx+" with "+transientText(p.Transient), want.Op.Tx+" with "+transientText(transient))
	}
	return nil
}

var saltPattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// rebuild computes the arguments and transient data of the approved write. Two values are the
// gateway's to choose and taken from the proposal: the salt of private terms (random, checked for
// its form) and the id of an issue the user gave none (derived from the Idempotency-Key).
func (p *Proposal) rebuild(want Approved) ([]string, map[string][]byte, error) {
	pathValue, err := want.Op.PathValuesOf(want.ID)
	if err != nil {
		return nil, nil, err
	}
	body := want.Body
	if want.Op.Name == "issue" && len(p.Args) == 1 {
		body, err = withGatewayIssueID(body, p.Args[0])
		if err != nil {
			return nil, nil, err
		}
	}
	decoded, err := want.Op.DecodeBody(body)
	if err != nil {
		return nil, nil, fmt.Errorf("the approved %s does not build: %w", want.Op.Name, err)
	}
	req := wire.Request{PathValue: pathValue, Decoded: decoded} // Args and TransientArgs share one decode
	args, err := want.Op.Args(req)
	if err != nil {
		return nil, nil, fmt.Errorf("the approved %s does not build: %w", want.Op.Name, err)
	}
	if len(want.Op.Transient) == 0 {
		return args, nil, nil
	}
	salt := string(p.Transient[wire.SaltKey])
	if !saltPattern.MatchString(salt) {
		return nil, nil, &UnapprovedError{TransactionID: p.TransactionID, What: "salt of the private terms",
			Asked: fmt.Sprintf("with salt %q", salt), Approved: "a salt of 64 hex characters"}
	}
	transient, err := want.Op.TransientArgs(req, salt)
	if err != nil {
		return nil, nil, fmt.Errorf("the approved %s does not build: %w", want.Op.Name, err)
	}
	return args, transient, nil
}

// withGatewayIssueID gives an issue body without an id the id of the gateway's argument; any
// other field must still match.
func withGatewayIssueID(body []byte, arg string) ([]byte, error) {
	var approved, asked wire.IssueRequest
	if err := wire.DecodeStrict(orEmptyObject(body), &approved); err != nil {
		return nil, err
	}
	if approved.ID != "" || json.Unmarshal([]byte(arg), &asked) != nil || asked.ID == "" {
		return body, nil
	}
	approved.ID = asked.ID
	return json.Marshal(approved)
}

func orEmptyObject(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}")
	}
	return b
}

// CheckTransaction reads the transaction payload (common.Payload bytes) the gateway asks to sign
// after endorsement and checks that it is this proposal's: the same header, the same payload
// without the transient data (as Fabric puts it in the transaction), endorsements whose
// responses name this proposal. Anything else is an *UnapprovedError or a malformed payload.
func (p *Proposal) CheckTransaction(txID string, b []byte) error {
	var payload common.Payload
	var tx peer.Transaction
	var cap peer.ChaincodeActionPayload
	var cpp peer.ChaincodeProposalPayload
	var prp peer.ProposalResponsePayload
	if err := proto.Unmarshal(b, &payload); err != nil {
		return fmt.Errorf("the gateway sent a malformed transaction: %w", err)
	}
	if err := proto.Unmarshal(payload.GetData(), &tx); err != nil || len(tx.GetActions()) != 1 {
		return fmt.Errorf("the gateway sent a transaction without exactly one action (%d, %v)", len(tx.GetActions()), err)
	}
	action := tx.GetActions()[0]
	if err := proto.Unmarshal(action.GetPayload(), &cap); err != nil {
		return fmt.Errorf("the gateway sent a malformed transaction: its action payload: %w", err)
	}
	if err := proto.Unmarshal(cap.GetChaincodeProposalPayload(), &cpp); err != nil {
		return fmt.Errorf("the gateway sent a malformed transaction: its proposal payload: %w", err)
	}
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp); err != nil {
		return fmt.Errorf("the gateway sent a malformed transaction: its proposal response: %w", err)
	}
	refuse := func(what string) error {
		return &UnapprovedError{TransactionID: p.TransactionID, What: what + " of the transaction",
			Asked: "a transaction whose " + what + " is not your proposal's", Approved: "the transaction of the proposal you signed"}
	}
	hdr := payload.GetHeader()
	switch {
	case txID != p.TransactionID:
		return refuse("transaction id")
	case !bytes.Equal(hdr.GetChannelHeader(), p.header.GetChannelHeader()):
		return refuse("channel header")
	case !bytes.Equal(hdr.GetSignatureHeader(), p.header.GetSignatureHeader()), !bytes.Equal(action.GetHeader(), p.header.GetSignatureHeader()):
		return refuse("signature header")
	case len(cpp.GetTransientMap()) > 0 || !bytes.Equal(cpp.GetInput(), p.payload.GetInput()):
		return refuse("proposal payload")
	case len(cap.GetAction().GetEndorsements()) == 0:
		return &UnapprovedError{TransactionID: p.TransactionID, What: "endorsements of the transaction",
			Asked: "a transaction without endorsements", Approved: "an endorsed transaction"}
	}
	h := sha256.New()
	h.Write(p.header.GetChannelHeader())
	h.Write(p.header.GetSignatureHeader())
	h.Write(cap.GetChaincodeProposalPayload())
	if !bytes.Equal(prp.GetProposalHash(), h.Sum(nil)) {
		return refuse("endorsed proposal hash")
	}
	return nil
}

// certName names a certificate for a person: MSP, common name and serial.
func certName(mspID string, c *x509.Certificate) string {
	name := "CN=" + c.Subject.CommonName + " (serial " + c.SerialNumber.Text(16) + ")"
	if mspID != "" {
		name = mspID + " " + name
	}
	return name
}

// call shows a transaction as Function(arg, ...), each argument cut to a readable length.
func call(fn string, args []string) string {
	shown := make([]string, len(args))
	for i, a := range args {
		if len(a) > 160 {
			a = a[:157] + "..."
		}
		shown[i] = a
	}
	return fn + "(" + strings.Join(shown, ", ") + ")"
}

// transientText shows transient data as {key=value, ...} in key order, the salt elided.
func transientText(m map[string][]byte) string {
	if len(m) == 0 {
		return "no private data"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := string(m[k])
		if k == wire.SaltKey {
			v = "…"
		}
		parts = append(parts, k+"="+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
