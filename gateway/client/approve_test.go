package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/certtest"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/gateway/fabric/proposaltest"
)

// signerCert makes a P-256 key and a self-signed certificate named cn.
func signerCert(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	p := certtest.New(t, cn)
	return p.CertPEM, p.KeyPEM
}

func newIdentity(t *testing.T, cn string) (*client.Identity, []byte) {
	t.Helper()
	certPEM, keyPEM := signerCert(t, cn)
	id, err := client.NewIdentity("CoreMSP", certPEM, keyPEM)
	require.NoError(t, err)
	return id, certPEM
}

// signingGateway plays a gateway's offline endpoints: it builds the proposal of the requested op
// as the real gateway does (wire.Op.Args, the SDK's proposal), then lets a test tamper with it.
type signingGateway struct {
	cert      []byte
	tamper    func(*proposaltest.Proposal)
	otherTx   bool // endorse answers the transaction of another proposal
	badDigest bool // the digest sent is not the bytes'
	result    string

	mu         sync.Mutex
	proposals  map[string][]byte
	signatures [][]byte // what the client signed, in order
	signedOver [][]byte // the bytes each signature is of
	submits    int
}

func (g *signingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.proposals == nil {
		g.proposals = map[string][]byte{}
	}
	fail := func(err error) { http.Error(w, err.Error(), http.StatusInternalServerError) }
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	toSign := func(txID string, b []byte) wire.OfflineDigest {
		d := sha256.Sum256(b)
		if g.badDigest {
			d = sha256.Sum256([]byte("another proposal"))
		}
		return wire.OfflineDigest{TransactionID: txID, Bytes: base64.StdEncoding.EncodeToString(b), Digest: base64.StdEncoding.EncodeToString(d[:])}
	}
	var txID string
	switch {
	case r.URL.Path == "/v1/offline/proposals":
		var req wire.OfflineProposalRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			fail(err)
			return
		}
		op, _ := wire.Lookup(req.Operation)
		pv, _ := op.PathValuesOf(req.ID)
		args, err := op.Args(wire.Request{PathValue: pv, Body: req.Body})
		if err != nil {
			fail(err)
			return
		}
		transient, _ := op.TransientArgs(wire.Request{PathValue: pv, Body: req.Body}, "")
		p := proposaltest.Proposal{Channel: "receivables", Chaincode: "receivables", MSPID: "CoreMSP", Cert: g.cert,
			Function: op.Tx, Args: args, Transient: transient}
		if g.tamper != nil {
			g.tamper(&p)
		}
		id, b, err := p.Build()
		if err != nil {
			fail(err)
			return
		}
		g.proposals[id] = b
		w.WriteHeader(http.StatusCreated)
		answer(toSign(id, b))
	case strings.HasSuffix(r.URL.Path, "/endorse"):
		txID = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/offline/proposals/"), "/endorse")
		g.record(r, g.proposals[txID])
		proposal := g.proposals[txID]
		if g.otherTx {
			other := proposaltest.Proposal{Channel: "receivables", Chaincode: "receivables", MSPID: "CoreMSP", Cert: g.cert,
				Function: "Transfer", Args: []string{"R-9", "SupplierMSP/mallory", "999.00"}}
			_, proposal, _ = other.Build()
		}
		result := json.RawMessage(`{"items":[]}`)
		if g.result != "" {
			result = json.RawMessage(g.result)
		}
		payload, err := proposaltest.Endorsed(proposal, result)
		if err != nil {
			fail(err)
			return
		}
		g.proposals["tx/"+txID] = payload
		d := toSign(txID, payload)
		d.Result = result
		answer(d)
	case strings.HasSuffix(r.URL.Path, "/submit"):
		txID = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/offline/transactions/"), "/submit")
		g.record(r, g.proposals["tx/"+txID])
		g.submits++
		answer(wire.SubmitResponse{TransactionID: txID, BlockNumber: 9})
	default:
		http.NotFound(w, r)
	}
}

func (g *signingGateway) record(r *http.Request, over []byte) {
	var s wire.OfflineSignature
	_ = json.NewDecoder(r.Body).Decode(&s)
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	g.signatures = append(g.signatures, sig)
	g.signedOver = append(g.signedOver, over)
}

func TestSubmitOffline_SignsOnlyWhatTheUserApproved(t *testing.T) {
	signer, cert := newIdentity(t, "treasurer")
	otherCert, _ := signerCert(t, "mallory")
	transfer := wire.TransferRequest{To: "SupplierMSP/supplier-b", Amount: "300000.00"}
	tests := []struct {
		name     string
		gw       *signingGateway
		op, id   string
		body     any
		what     string   // the difference named; "" signs
		mentions []string // in the refusal
		signed   int      // signatures made before the refusal
	}{
		{name: "an honest gateway's proposal and transaction are signed", op: "transfer", id: "R-1", body: transfer},
		{name: "an issue without id takes the gateway's id from the Idempotency-Key", op: "issue",
			body: wire.IssueRequest{Beneficiary: "SupplierMSP/supplier-a", Amount: "100.00", MaturityDate: "2027-01-31"},
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) {
				var req wire.IssueRequest
				_ = json.Unmarshal([]byte(p.Args[0]), &req)
				req.ID = "RK0123"
				b, _ := json.Marshal(req)
				p.Args[0] = string(b)
			}}},
		{name: "an issue's other fields stay the user's", op: "issue", what: "argument request",
			body: wire.IssueRequest{Beneficiary: "SupplierMSP/supplier-a", Amount: "100.00", MaturityDate: "2027-01-31"},
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) {
				p.Args[0] = strings.Replace(p.Args[0], `"amount":"100.00"`, `"amount":"900.00"`, 1)
			}}},
		{name: "a swapped amount is refused", op: "transfer", id: "R-1", body: transfer, what: "argument amount",
			gw:       &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Args[2] = "500000.00" }},
			mentions: []string{"Transfer(R-1, SupplierMSP/supplier-b, 500000.00)", "you approved Transfer(R-1, SupplierMSP/supplier-b, 300000.00)"}},
		{name: "a swapped recipient is refused", op: "transfer", id: "R-1", body: transfer, what: "argument to",
			gw:       &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Args[1] = "SupplierMSP/mallory" }},
			mentions: []string{"SupplierMSP/mallory"}},
		{name: "another receivable is refused", op: "accept", id: "R-1", what: "argument id",
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Args[0] = "R-2" }}},
		{name: "a swapped function is refused", op: "accept", id: "R-1", what: "function",
			gw:       &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Function = "Revoke" }},
			mentions: []string{"Revoke(R-1)", "you approved Accept(R-1)"}},
		{name: "an added argument is refused", op: "accept", id: "R-1", what: "number of arguments",
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Args = append(p.Args, "x") }}},
		{name: "another creator is refused", op: "accept", id: "R-1", what: "creator",
			gw:       &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Cert = otherCert }},
			mentions: []string{"CN=mallory", "CN=treasurer"}},
		{name: "another MSP for the same certificate is refused", op: "accept", id: "R-1", what: "creator",
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) { p.MSPID = "SupplierMSP" }}},
		{name: "another channel is refused", op: "accept", id: "R-1", what: "channel",
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Channel = "other" }}},
		{name: "another chaincode is refused", op: "accept", id: "R-1", what: "chaincode",
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Chaincode = "other" }}},
		{name: "a back-dated proposal is refused", op: "accept", id: "R-1", what: "time",
			gw: &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Time = time.Now().Add(-time.Hour) }}},
		{name: "swapped private terms are refused", op: "decide-financing", id: "R-1",
			body: wire.DecisionRequest{Decision: wire.DecisionApproved, RateBps: 450}, what: "private (transient) data",
			gw:       &signingGateway{tamper: func(p *proposaltest.Proposal) { p.Transient["rateBps"] = []byte("900") }},
			mentions: []string{"rateBps=900", "rateBps=450"}},
		{name: "a transaction of another proposal is refused", op: "accept", id: "R-1", what: "channel header of the transaction",
			gw: &signingGateway{otherTx: true}, signed: 1},
		{name: "a digest that is not of the bytes is refused", op: "accept", id: "R-1", what: "proposal digest",
			gw: &signingGateway{badDigest: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.gw
			if g == nil {
				g = &signingGateway{}
			}
			if g.cert == nil {
				g.cert = cert
			}
			srv := httptest.NewServer(g)
			t.Cleanup(srv.Close)
			c, err := client.New(srv.URL, "tok", client.WithNetwork("receivables", "receivables"))
			require.NoError(t, err)
			res, err := c.SubmitOffline(context.Background(), signer, tt.op, tt.id, tt.body, client.WithIdempotencyKey("k"))
			if tt.what == "" {
				require.NoError(t, err)
				require.Equal(t, uint64(9), res.BlockNumber)
				require.Len(t, g.signatures, 2, "the proposal and the transaction")
				for i, sig := range g.signatures {
					d := sha256.Sum256(g.signedOver[i])
					require.True(t, ecdsa.VerifyASN1(signer.Cert.PublicKey.(*ecdsa.PublicKey), d[:], sig), "signature %d is of the bytes sent", i)
				}
				return
			}
			var ue *client.UnapprovedError
			require.ErrorAs(t, err, &ue)
			require.Equal(t, tt.what, ue.What, err.Error())
			for _, m := range tt.mentions {
				require.Contains(t, err.Error(), m)
			}
			require.Len(t, g.signatures, tt.signed, "nothing is signed after the difference is found")
			require.Zero(t, g.submits, "nothing is submitted")
		})
	}
}

// Without WithNetwork the first proposal fixes the channel and chaincode for the client's life.
func TestSubmitOffline_TheFirstProposalFixesTheChannel(t *testing.T) {
	signer, cert := newIdentity(t, "treasurer")
	g := &signingGateway{cert: cert}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "tok")
	require.NoError(t, err)
	_, err = c.SubmitOffline(context.Background(), signer, "accept", "R-1", nil)
	require.NoError(t, err)
	g.tamper = func(p *proposaltest.Proposal) { p.Channel = "elsewhere" }
	_, err = c.SubmitOffline(context.Background(), signer, "accept", "R-2", nil)
	var ue *client.UnapprovedError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "channel", ue.What)
	require.Contains(t, err.Error(), "on channel elsewhere but you approved channel receivables")
}

// A gateway that sends only a digest gets nothing signed.
func TestSubmitOffline_ADigestWithoutItsBytesIsNotSigned(t *testing.T) {
	signer, _ := newIdentity(t, "treasurer")
	d := sha256.Sum256([]byte("anything"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/offline/proposals" {
			t.Errorf("nothing but the proposal is asked for: %s", r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(wire.OfflineDigest{TransactionID: "tx", Digest: base64.StdEncoding.EncodeToString(d[:])})
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, "tok")
	require.NoError(t, err)
	_, err = c.SubmitOffline(context.Background(), signer, "accept", "R-1", nil)
	require.ErrorContains(t, err, "the gateway sent no proposal bytes to check")
}

func TestNewIdentity_TheKeyMustBeTheCertificates(t *testing.T) {
	cert, key := signerCert(t, "treasurer")
	_, otherKey := signerCert(t, "mallory")
	_, err := client.NewIdentity("CoreMSP", cert, key)
	require.NoError(t, err)
	_, err = client.NewIdentity("CoreMSP", cert, otherKey)
	require.ErrorContains(t, err, `the key is not the key of the certificate "treasurer"`)
	_, err = client.NewIdentity("CoreMSP", key, key)
	require.ErrorContains(t, err, "no PEM CERTIFICATE block")
}
