package securitycheck

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// Each organisation runs its own chaincode server, so it decides what its peer endorses: a changed
// server returns any result, and the peer signs it. forge stands in for such servers: it builds a
// transaction of the receivables chaincode with the write set the test chooses and signs each
// endorsement with the endorsing organisation's peer's own key (from its MSP folder), which is
// exactly what that peer signs for its changed server; the creator signs the envelope. It is
// submitted through the creator's organisation's peer (Fabric's Gateway service, as the peer CLI
// or any SDK would) and the commit's validation code is returned: only Fabric's validation, the
// endorsement policy of every key written, stands between the forgery and the ledger.
func forge(t *testing.T, nw *testnet.Network, creator string, endorsers []string, writes ...*kvrwset.KVWrite) (peer.TxValidationCode, string) {
	t.Helper()
	mspID := wire.MSPOf(creator)
	conn, err := testnet.DialPeer(nw.Desc, mspID)
	require.NoError(t, err)
	defer conn.Close()
	gw, err := testnet.Connect(nw.Desc, creator, conn, client.WithCommitStatusTimeout(time.Minute))
	require.NoError(t, err)
	defer gw.Close()

	// An honest endorsement of a query gives real headers (channel, chaincode, creator, nonce).
	p, err := gw.GetNetwork(nw.Desc.Channel).GetContract(nw.Desc.Chaincode).NewProposal("GetConfig")
	require.NoError(t, err)
	honest, err := p.Endorse()
	require.NoError(t, err)
	raw, err := honest.Bytes()
	require.NoError(t, err)
	var prepared gateway.PreparedTransaction
	unmarshal(t, raw, &prepared)
	var payload common.Payload
	unmarshal(t, prepared.GetEnvelope().GetPayload(), &payload)
	tx := parseTx(t, &payload)
	txn, cap, prp, cca, rws := &tx.txn, &tx.cap, &tx.prp, &tx.cca, &tx.rws

	// The forged result: the chosen writes, nothing read (so no MVCC check can refuse it).
	replaced := false
	for _, ns := range rws.GetNsRwset() {
		if ns.GetNamespace() == nw.Desc.Chaincode {
			ns.Rwset, ns.CollectionHashedRwset, replaced = marshal(t, &kvrwset.KVRWSet{Writes: writes}), nil, true
		}
	}
	require.True(t, replaced, "the honest endorsement has a %s read-write set", nw.Desc.Chaincode)
	cca.Results, cca.Events = marshal(t, rws), nil
	prp.Extension = marshal(t, cca)
	prpBytes := marshal(t, prp)
	cap.Action.ProposalResponsePayload, cap.Action.Endorsements = prpBytes, nil
	for _, org := range endorsers {
		id, sign := peerSigner(t, nw, org)
		digest := sha256.Sum256(append(append([]byte(nil), prpBytes...), id...))
		sig, err := sign(digest[:])
		require.NoError(t, err)
		cap.Action.Endorsements = append(cap.Action.Endorsements, &peer.Endorsement{Endorser: id, Signature: sig})
	}
	txn.Actions[0].Payload = marshal(t, cap)
	payload.Data = marshal(t, txn)
	payloadBytes := marshal(t, &payload)
	prepared.Envelope = &common.Envelope{Payload: payloadBytes}
	_, sign := userSigner(t, nw, creator)
	digest := sha256.Sum256(payloadBytes)
	sig, err := sign(digest[:])
	require.NoError(t, err)

	forged, err := gw.NewSignedTransaction(marshal(t, &prepared), sig)
	require.NoError(t, err)
	commit, err := forged.Submit()
	require.NoError(t, err, "the orderer takes it: only validation at commit can refuse it")
	st, err := commit.Status()
	require.NoError(t, err)
	return st.Code, st.TransactionID
}

// txParts are the layers of an endorser transaction's payload down to its read-write sets.
type txParts struct {
	txn peer.Transaction
	cap peer.ChaincodeActionPayload
	prp peer.ProposalResponsePayload
	cca peer.ChaincodeAction
	rws rwset.TxReadWriteSet
}

func parseTx(t *testing.T, payload *common.Payload) *txParts {
	t.Helper()
	var p txParts
	unmarshal(t, payload.GetData(), &p.txn)
	unmarshal(t, p.txn.GetActions()[0].GetPayload(), &p.cap)
	unmarshal(t, p.cap.GetAction().GetProposalResponsePayload(), &p.prp)
	unmarshal(t, p.prp.GetExtension(), &p.cca)
	unmarshal(t, p.cca.GetResults(), &p.rws)
	return &p
}

// written returns the one key under prefix that the committed transaction txID wrote in the
// chaincode's namespace, and the value it wrote, as the auditor's peer's ledger holds them (qscc).
func written(t *testing.T, nw *testnet.Network, txID, prefix string) (string, []byte) {
	t.Helper()
	conn, err := testnet.DialPeer(nw.Desc, "AuditorMSP")
	require.NoError(t, err)
	defer conn.Close()
	gw, err := testnet.Connect(nw.Desc, "AuditorMSP/auditor", conn)
	require.NoError(t, err)
	defer gw.Close()
	// The auditor's peer may commit the block a moment after the gateway that answered.
	var raw []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		raw, err = gw.GetNetwork(nw.Desc.Channel).GetContract("qscc").Evaluate("GetTransactionByID", client.WithArguments(nw.Desc.Channel, txID))
		if err == nil || !strings.Contains(err.Error(), "no such transaction ID") || time.Now().After(deadline) {
			break
		}
	}
	require.NoError(t, err)
	var pt peer.ProcessedTransaction
	unmarshal(t, raw, &pt)
	var payload common.Payload
	unmarshal(t, pt.GetTransactionEnvelope().GetPayload(), &payload)
	var found []*kvrwset.KVWrite
	for _, ns := range parseTx(t, &payload).rws.GetNsRwset() {
		if ns.GetNamespace() != nw.Desc.Chaincode {
			continue
		}
		var kv kvrwset.KVRWSet
		unmarshal(t, ns.GetRwset(), &kv)
		for _, w := range kv.GetWrites() {
			if strings.HasPrefix(w.GetKey(), prefix) {
				found = append(found, w)
			}
		}
	}
	require.Len(t, found, 1, "transaction %s writes one key under %s", txID, prefix)
	return found[0].GetKey(), found[0].GetValue()
}

// peerSigner is organisation mspID's peer's serialized identity and signing function, from the
// peer's own MSP folder.
func peerSigner(t *testing.T, nw *testnet.Network, mspID string) ([]byte, identity.Sign) {
	t.Helper()
	org, ok := nw.Desc.Orgs[mspID]
	require.True(t, ok, "no organisation %s", mspID)
	dir := filepath.Join(nw.Dir, "orgs", org.Name, "peer0", "msp")
	return signer(t, mspID, filepath.Join(dir, "signcerts", "cert.pem"), filepath.Join(dir, "keystore", "key.pem"))
}

// userSigner is account's serialized identity and signing function, from network.json.
func userSigner(t *testing.T, nw *testnet.Network, account string) ([]byte, identity.Sign) {
	t.Helper()
	mspID, name, _ := wire.SplitAccount(account)
	u := nw.Desc.Orgs[mspID].Users[name]
	return signer(t, mspID, u.Cert, u.Key)
}

func signer(t *testing.T, mspID, certFile, keyFile string) ([]byte, identity.Sign) {
	t.Helper()
	certPEM, err := os.ReadFile(certFile)
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	return marshal(t, &msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM}), sign
}

// evaluateAs runs a query of the chaincode as account on its organisation's peer.
func evaluateAs(t *testing.T, nw *testnet.Network, account, tx string, args ...string) []byte {
	t.Helper()
	mspID := wire.MSPOf(account)
	conn, err := testnet.DialPeer(nw.Desc, mspID)
	require.NoError(t, err)
	defer conn.Close()
	gw, err := testnet.Connect(nw.Desc, account, conn)
	require.NoError(t, err)
	defer gw.Close()
	out, err := gw.GetNetwork(nw.Desc.Channel).GetContract(nw.Desc.Chaincode).Evaluate(tx, client.WithArguments(args...))
	require.NoError(t, err, "%s %s", account, tx)
	return out
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}

func unmarshal(t *testing.T, b []byte, m proto.Message) {
	t.Helper()
	require.NoError(t, proto.Unmarshal(b, m))
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// vetoSet is every core enterprise and bank of the registry, sorted.
func vetoSet(t *testing.T, nw *testnet.Network) []string {
	t.Helper()
	var members wire.Members
	require.NoError(t, json.Unmarshal(evaluateAs(t, nw, "AuditorMSP/auditor", "ListOrgs"), &members))
	var vetoes []string
	for _, o := range members.Orgs {
		if o.Kind == wire.OrgCore || o.Kind == wire.OrgBank {
			vetoes = append(vetoes, o.MSPID)
		}
	}
	slices.Sort(vetoes)
	return vetoes
}

// Collusion (issue 23): organisations whose chaincode servers run changed code (forge) endorse
// writes that leave out a party the write affects; each one satisfies the chaincode-level policy
// but not the policy of a key it writes, and every peer marks it ENDORSEMENT_POLICY_FAILURE: the
// state is unchanged. The same forged transaction endorsed by the parties (the control, writing
// the current value back) commits VALID, so it is the missing party, not the forging, that
// validation refuses. The audit then names every forged transaction that did commit.
func Collusion(t *testing.T, nw *testnet.Network) {
	as := func(account string) *gwtest.Client { return gwtest.As(t, nw.Dir, account) }
	core := as("CoreMSP/treasurer")
	id := gwtest.RequestedAt(t, nw.Dir, "CL", "8000.00", 40, "Bank1MSP")
	approval := as("Bank1MSP/officer").Submit(t, "approve-financing", id, wire.ApproveRequest{RateBps: 420})
	// The slot of Bank1MSP's part of CoreMSP's exposure the approval moved, and its value now.
	slot, slotValue := written(t, nw, approval.TxID, "exposure/CoreMSP/bank/Bank1MSP/s/")
	lowered := []byte(`{"financed":{"Bank1MSP":-800000}}`)
	risk := func() string { return string(evaluateAs(t, nw, "AuditorMSP/auditor", "Risk", "100", "")) }
	financed := core.Sees(t, id, wire.StatusActive)
	require.Equal(t, "Bank1MSP/officer", financed.Holder)

	stolen := financed
	stolen.Holder = "SupplierMSP/supplier-a"
	fake := financed
	fake.ID, fake.RootID, fake.Holder, fake.Financing, fake.AmountFen, fake.Amount = id+"X", id+"X", "SupplierMSP/supplier-a", nil, 900000000, "9000000.00"
	cfg := evaluateAs(t, nw, "AuditorMSP/auditor", "GetConfig")
	var wide wire.Config
	require.NoError(t, json.Unmarshal(cfg, &wide))
	wide.ClockSkewSeconds = 86400
	bank2 := evaluateAs(t, nw, "AuditorMSP/auditor", "GetOrg", "Bank2MSP")
	var demoted wire.Org
	require.NoError(t, json.Unmarshal(bank2, &demoted))
	demoted.Kind = wire.OrgSupplier
	vetoes := vetoSet(t, nw)
	beacon := evaluateAs(t, nw, "AuditorMSP/auditor", "GetBeacon")
	var ahead wire.Beacon
	require.NoError(t, json.Unmarshal(beacon, &ahead))
	ahead.Time = time.Now().UTC().AddDate(1, 0, 0).Format(time.RFC3339)

	cases := []struct {
		name             string
		creator          string
		forgers, parties []string // parties nil: no control (a new key the obligor never created)
		key              string
		forged, current  []byte
		read             func() string // the state the forgery must leave unchanged
	}{
		{"the core enterprise and the supplier move a piece the bank financed", "SupplierMSP/supplier-a",
			[]string{"CoreMSP", "SupplierMSP"}, []string{"CoreMSP", "Bank1MSP"}, "rcv/" + id, jsonOf(t, stolen), jsonOf(t, financed),
			func() string { return core.Sees(t, id, wire.StatusActive).Holder }},
		{"the core enterprise and the supplier lower the financing the bank bears", "SupplierMSP/supplier-a",
			[]string{"CoreMSP", "SupplierMSP"}, []string{"CoreMSP", "Bank1MSP"}, slot, lowered, slotValue, risk},
		{"a supplier and the auditor issue a receivable the core enterprise owes", "SupplierMSP/supplier-a",
			[]string{"SupplierMSP", "AuditorMSP"}, nil, "rcv/" + fake.ID, jsonOf(t, fake), nil,
			func() string {
				_, err := as("AuditorMSP/auditor").Client.Get(t.Context(), fake.ID)
				return fmt.Sprint(err)
			}},
		{"the members without the banks widen the clock skew", "CoreMSP/admin",
			[]string{"CoreMSP", "SupplierMSP", "AuditorMSP"}, vetoes, "config", jsonOf(t, wide), cfg,
			func() string { return string(evaluateAs(t, nw, "AuditorMSP/auditor", "GetConfig")) }},
		{"the core enterprise and a supplier move the time beacon a year ahead", "CoreMSP/admin",
			[]string{"CoreMSP", "SupplierMSP"}, vetoes, "beacon", jsonOf(t, ahead), beacon,
			func() string { // the network ticks meanwhile: what must not happen is the jump ahead
				var b wire.Beacon
				require.NoError(t, json.Unmarshal(evaluateAs(t, nw, "AuditorMSP/auditor", "GetBeacon"), &b))
				at, err := time.Parse(time.RFC3339, b.Time)
				require.NoError(t, err)
				return fmt.Sprintf("beacon within a day of now: %t", at.Before(time.Now().Add(24*time.Hour)))
			}},
		{"four members without a bank make it a supplier", "CoreMSP/admin",
			[]string{"CoreMSP", "SupplierMSP", "Bank1MSP", "AuditorMSP"}, vetoes, "org/Bank2MSP", jsonOf(t, demoted), bank2,
			func() string { return string(evaluateAs(t, nw, "AuditorMSP/auditor", "GetOrg", "Bank2MSP")) }},
	}
	var forgedValid []string // the forged transactions that the parties' peers signed: VALID
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.read()
			code, _ := forge(t, nw, c.creator, c.forgers, &kvrwset.KVWrite{Key: c.key, Value: c.forged})
			require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, code, "endorsed by %v only", c.forgers)
			require.Equal(t, before, c.read(), "the forgery changed nothing")
			if c.parties == nil {
				return
			}
			code, tx := forge(t, nw, c.creator, c.parties, &kvrwset.KVWrite{Key: c.key, Value: c.current})
			require.Equal(t, peer.TxValidationCode_VALID, code, "control: %v endorse a write of %s", c.parties, c.key)
			forgedValid = append(forgedValid, tx)
		})
	}
	_, err := as("AuditorMSP/auditor").Client.Get(t.Context(), fake.ID)
	require.ErrorIs(t, err, wire.ErrNotFound, "no receivable the core enterprise did not issue")

	// New keys are governed by the chaincode-level policy, which the core enterprise and any one
	// member satisfy: such a pair can commit an organisation entry or a proposal with every
	// approval filled in. The rules read both only through the registry index, which the veto set
	// guards, so no rule (and no honest peer of the veto set) ever acts on them.
	t.Run("the core enterprise and a supplier add a bank and a pre-approved proposal: committed, read by no rule", func(t *testing.T) {
		evil := wire.Org{MSPID: "EvilMSP", Kind: wire.OrgBank, Name: "Evil Bank", CreditCode: demoted.CreditCode}
		forged := wire.Proposal{ID: "P-FORGED-" + id, Action: wire.ActionSetConfig, Config: &wire.ConfigRequest{ClockSkewSeconds: 86400},
			Status: wire.ProposalOpen, Proposer: "CoreMSP/admin", Approvals: []wire.Approval{{MSPID: "Bank1MSP"}, {MSPID: "Bank2MSP"}, {MSPID: "CoreMSP"}}}
		before := risk()
		code, tx := forge(t, nw, "CoreMSP/admin", []string{"CoreMSP", "SupplierMSP"},
			&kvrwset.KVWrite{Key: "org/EvilMSP", Value: jsonOf(t, evil)},
			&kvrwset.KVWrite{Key: "proposal/" + forged.ID, Value: jsonOf(t, forged)},
			// Bank1MSP's financing lowered by keys no transaction the bank endorsed created.
			&kvrwset.KVWrite{Key: "exposure/CoreMSP/bank/Bank1MSP/t/20261207T000000Z/" + id, Value: lowered},
			&kvrwset.KVWrite{Key: "exposure/CoreMSP/bank/Bank1MSP/s/16", Value: lowered},
			&kvrwset.KVWrite{Key: "exposure/CoreMSP/bank/Bank1MSP/base", Value: lowered})
		require.Equal(t, peer.TxValidationCode_VALID, code, "new keys: the chaincode-level policy")
		forgedValid = append(forgedValid, tx)
		require.Equal(t, before, risk(), "no rule reads the forged exposure keys")
		reader := as("AuditorMSP/auditor").Client
		require.ErrorIs(t, reader.Call(t.Context(), "get-org", []string{"EvilMSP"}, nil, nil, nil), wire.ErrNotFound)
		require.ErrorIs(t, reader.Call(t.Context(), "get-proposal", []string{forged.ID}, nil, nil, nil), wire.ErrNotFound)
		var members wire.Members
		require.NoError(t, reader.Call(t.Context(), "list-orgs", nil, nil, nil, &members))
		require.NotContains(t, fmt.Sprint(members.Orgs), "EvilMSP")
		require.Equal(t, vetoes, vetoSet(t, nw), "the veto set is unchanged")
		var p *wire.Problem
		err := as("Bank1MSP/admin").Client.Call(t.Context(), "approve-proposal", []string{forged.ID}, nil, nil, nil)
		require.ErrorAs(t, err, &p)
		require.Equal(t, wire.KindNotFound, p.Kind, "no veto member can be led to apply it")
	})

	// Validation cannot refuse what every party signed; the audit can. recv audit re-executes each
	// valid transaction through the chaincode's rules and names exactly the forged ones: a
	// "GetConfig" that writes.
	t.Run("the audit names every forged transaction that committed", func(t *testing.T) {
		require.Len(t, forgedValid, 6)
		cli := gwtest.CLI{Bin: nw.RecvBin, NetDir: nw.Dir}
		code, stdout, stderr := cli.Run(t, "--as", "AuditorMSP/auditor", "-o", "json", "audit", "--no-compare")
		require.Equal(t, 1, code, "violations fail the audit: %s", stderr)
		require.Contains(t, stderr, "6 transactions the rules would not have produced")
		var rep struct {
			Violations []struct {
				TxID, Function, Creator, Problem string
				Endorsers                        []string
			} `json:"violations"`
			RulesChecked int `json:"rulesChecked"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
		require.Positive(t, rep.RulesChecked)
		var named []string
		for _, v := range rep.Violations {
			named = append(named, v.TxID)
			require.Equal(t, "GetConfig", v.Function)
			require.Contains(t, v.Problem, "the rules do not write")
			require.NotEmpty(t, v.Creator)
			require.GreaterOrEqual(t, len(v.Endorsers), 2)
		}
		require.ElementsMatch(t, forgedValid, named, "the forged transactions, and nothing honest")
	})
}
