package security

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// contractAs is the receivables contract through Bank1MSP's peer's Gateway service as account,
// endorsed by the core enterprise and Bank1MSP (the endorsement policy).
func contractAs(t *testing.T, account string) *client.Contract {
	t.Helper()
	conn, err := testnet.DialPeer(nw.Desc, "Bank1MSP")
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	gw, err := testnet.Connect(nw.Desc, account, conn, client.WithCommitStatusTimeout(time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	return gw.GetNetwork(nw.Desc.Channel).GetContract(nw.Desc.Chaincode)
}

var endorsers = client.WithEndorsingOrganizations("CoreMSP", "Bank1MSP")

// tick advances the time beacon as the core enterprise's admin, as its gateway does on schedule,
// endorsed by the veto set (every core enterprise and bank of the registry), whom the beacon's key
// needs.
func tick(t *testing.T) wire.Beacon {
	t.Helper()
	out, err := contractAs(t, "Bank1MSP/admin").Evaluate("ListOrgs")
	require.NoError(t, err)
	var members wire.Members
	require.NoError(t, json.Unmarshal(out, &members))
	var vetoes []string
	for _, o := range members.Orgs {
		if o.Kind == wire.OrgCore || o.Kind == wire.OrgBank {
			vetoes = append(vetoes, o.MSPID)
		}
	}
	var ev wire.Event
	for attempt := 0; attempt < 3; attempt++ { // a scheduled tick of a running gateway may race this one
		var out []byte
		if out, err = contractAs(t, "CoreMSP/admin").Submit("Tick", client.WithEndorsingOrganizations(vetoes...)); err == nil {
			require.NoError(t, json.Unmarshal(out, &ev))
			require.NotNil(t, ev.Beacon)
			return *ev.Beacon
		}
		time.Sleep(1100 * time.Millisecond)
	}
	require.NoError(t, err, "Tick")
	return wire.Beacon{}
}

func accountStatus(t *testing.T, account string) wire.AccountStatus {
	t.Helper()
	out, err := contractAs(t, "Bank1MSP/admin").Evaluate("GetAccount", client.WithArguments(account))
	require.NoError(t, err)
	var a wire.Account
	require.NoError(t, json.Unmarshal(out, &a))
	return a.Status
}

// A member endorses a write through a peer's Gateway service and holds the endorsed transaction;
// the network's time beacon advances meanwhile; submitted then, the transaction commits as
// MVCC_READ_CONFLICT and changes nothing. The same transaction submitted at once commits.
func TestNoBackdating_AnEndorsementHeldPastATickCannotCommit(t *testing.T) {
	const officer = "Bank1MSP/officer"
	bank := contractAs(t, "Bank1MSP/admin")
	require.Equal(t, wire.AccountOpen, accountStatus(t, officer))

	proposal, err := bank.NewProposal("FreezeAccount", client.WithArguments(officer, "held approval"), endorsers)
	require.NoError(t, err)
	held, err := proposal.Endorse()
	require.NoError(t, err, "the endorsement itself is fine")

	tick(t) // what the core enterprise's gateway does every minute

	commit, err := held.Submit()
	require.NoError(t, err, "the orderer takes it: only validation at commit can refuse it")
	st, err := commit.Status()
	require.NoError(t, err)
	require.False(t, st.Successful)
	require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, st.Code,
		"an endorsement held across a tick of the time beacon must not commit")
	require.Equal(t, wire.AccountOpen, accountStatus(t, officer), "the held write changed the state")

	// The control: endorsed and submitted without a tick in between, the same write commits.
	_, err = bank.Submit("FreezeAccount", client.WithArguments(officer, "control"), endorsers)
	require.NoError(t, err)
	require.Equal(t, wire.AccountFrozen, accountStatus(t, officer))
	_, err = bank.Submit("UnfreezeAccount", client.WithArguments(officer), endorsers)
	require.NoError(t, err)
}

// endorseAt has account's write tx endorsed with the proposal timestamp at, a time the client
// chooses (the Gateway service takes the signed proposal as it is), and returns the endorsement
// error.
func endorseAt(t *testing.T, account string, at time.Time, tx string, args ...string) error {
	t.Helper()
	mspID, name, _ := strings.Cut(account, "/")
	u := nw.Desc.Orgs[mspID].Users[name]
	certPEM, err := os.ReadFile(u.Cert)
	require.NoError(t, err)
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(t, err)
	id, err := identity.NewX509Identity(mspID, cert)
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(u.Key)
	require.NoError(t, err)
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)

	conn, err := testnet.DialPeer(nw.Desc, "Bank1MSP")
	require.NoError(t, err)
	defer conn.Close()
	gw, err := client.Connect(id, client.WithClientConnection(conn)) // no signer: this test signs
	require.NoError(t, err)
	defer gw.Close()
	p, err := gw.GetNetwork(nw.Desc.Channel).GetContract(nw.Desc.Chaincode).NewProposal(tx, client.WithArguments(args...), endorsers)
	require.NoError(t, err)

	// Rewrite the proposal's timestamp (the transaction id does not depend on it), then sign.
	raw, err := p.Bytes()
	require.NoError(t, err)
	var pt gateway.ProposedTransaction
	require.NoError(t, proto.Unmarshal(raw, &pt))
	var prop peer.Proposal
	require.NoError(t, proto.Unmarshal(pt.GetProposal().GetProposalBytes(), &prop))
	var hdr common.Header
	require.NoError(t, proto.Unmarshal(prop.GetHeader(), &hdr))
	var ch common.ChannelHeader
	require.NoError(t, proto.Unmarshal(hdr.GetChannelHeader(), &ch))
	ch.Timestamp = timestamppb.New(at)
	mustMarshal := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	hdr.ChannelHeader = mustMarshal(&ch)
	prop.Header = mustMarshal(&hdr)
	pt.Proposal.ProposalBytes = mustMarshal(&prop)
	digest := sha256.Sum256(pt.Proposal.ProposalBytes)
	sig, err := sign(digest[:])
	require.NoError(t, err)
	signed, err := gw.NewSignedProposal(mustMarshal(&pt), sig)
	require.NoError(t, err)
	_, err = signed.Endorse()
	return err
}

// details is an endorsement error with the peers' messages the gRPC status carries.
func details(err error) string {
	msgs := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			msgs = append(msgs, fmt.Sprint(d))
		}
	}
	return strings.Join(msgs, "; ")
}

// A write dated before the time beacon is refused at endorsement, although its timestamp is well
// within the clock skew the peers allow (600 s): the network's time had passed that instant.
func TestNoBackdating_AWriteDatedBeforeTheBeaconIsRefused(t *testing.T) {
	const officer = "Bank1MSP/officer"
	b := tick(t)
	at, err := time.Parse(time.RFC3339, b.Time)
	require.NoError(t, err)

	err = endorseAt(t, "Bank1MSP/admin", at.Add(-3*time.Minute), "FreezeAccount", officer, "dated three minutes back")
	require.Error(t, err, "a write dated 3 minutes before the beacon was endorsed")
	require.Contains(t, details(err), "back-dated")
	require.Equal(t, wire.AccountOpen, accountStatus(t, officer))

	// The same path with an honest timestamp is endorsed: the refusal is the date's. The tick
	// committed on the core enterprise's peer; an endorser a block behind reads the older beacon,
	// and endorsements that differ are not enough: try again once it has caught up.
	for attempt := 0; ; attempt++ {
		err = endorseAt(t, "Bank1MSP/admin", time.Now(), "FreezeAccount", officer, "honest")
		if err == nil || attempt == 4 || !strings.Contains(details(err), "enough transaction endorsements") {
			break
		}
		time.Sleep(time.Second)
	}
	require.NoError(t, err)
}
