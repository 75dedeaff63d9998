package security

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/recv-ledger/recv/chaincode/contract"
	"github.com/recv-ledger/recv/gateway/audit"
)

// Issue 29 (docs/security.md, "A malicious bank"): the registry seeded is the one the chaincode's
// definition names. The committed definition's version carries the SHA-256 of the registry
// argument of the one InitRegistry on the chain, and that transaction read the definition from
// _lifecycle (its read set has the _lifecycle namespace): the check ran on the real peers, not a
// stub. The refusal of any other registry is the contract's unit test
// (TestRegistry_OnlyTheSeedTheDefinitionNamesIsSeeded): on a seeded network the "already seeded"
// conflict answers first.
func TestSeed_TheDefinitionNamesTheSeededRegistry(t *testing.T) {
	out, err := peerAs(t, "core", "lifecycle", "chaincode", "querycommitted", "--channelID", channel, "--name", chaincode)
	require.NoError(t, err)
	// The definition may have moved on (a later sequence, version = its sequence): the seed's
	// version is the first one's, which the chain's lifecycle history keeps; the deployment's
	// state folder records the version it committed last.
	seeded := seedingTx(t)
	require.NotNil(t, seeded, "no InitRegistry transaction in the chain's first blocks")
	sum := sha256.Sum256(seeded.arg)
	want := "1" + contract.SeedTag + hex.EncodeToString(sum[:])
	require.Equal(t, want, seeded.definitionVersion,
		"the InitRegistry argument's hash is not the one the definition in force named (querycommitted now: %s)", strings.TrimSpace(out))
	require.True(t, seeded.readLifecycle, "InitRegistry did not read its definition from _lifecycle")
}

type seeding struct {
	arg               []byte // the registry argument
	definitionVersion string // the version of the last definition committed before it
	readLifecycle     bool   // its read set has the _lifecycle namespace
}

// seedingTx walks the chain's first blocks as the core enterprise's admin fetches them: the
// definitions' versions (_lifecycle writes of namespaces/fields/receivables/EndorsementInfo) up to
// the valid InitRegistry transaction.
func seedingTx(t *testing.T) *seeding {
	t.Helper()
	var version string
	for n := 1; n < 40; n++ {
		file := filepath.Join(t.TempDir(), "block"+strconv.Itoa(n))
		if _, err := peerAs(t, "core", "channel", "fetch", strconv.Itoa(n), file, "-c", channel); err != nil {
			return nil
		}
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		var b common.Block
		require.NoError(t, proto.Unmarshal(raw, &b))
		flags := b.GetMetadata().GetMetadata()[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		for i, env := range b.GetData().GetData() {
			if peer.TxValidationCode(flags[i]) != peer.TxValidationCode_VALID {
				continue
			}
			args, results := endorserTx(t, env)
			var rws rwset.TxReadWriteSet
			require.NoError(t, proto.Unmarshal(results, &rws))
			lifecycleRead := false
			for _, ns := range rws.GetNsRwset() {
				if ns.GetNamespace() != "_lifecycle" {
					continue
				}
				lifecycleRead = true
				if v := definedVersion(t, ns); v != "" {
					version = v
				}
			}
			if len(args) == 2 && string(args[0]) == "InitRegistry" {
				return &seeding{arg: args[1], definitionVersion: version, readLifecycle: lifecycleRead}
			}
		}
	}
	return nil
}

// endorserTx is an endorser transaction's arguments and read-write set (nil for other types).
func endorserTx(t *testing.T, envBytes []byte) (args [][]byte, results []byte) {
	t.Helper()
	var env common.Envelope
	var pl common.Payload
	var ch common.ChannelHeader
	require.NoError(t, proto.Unmarshal(envBytes, &env))
	require.NoError(t, proto.Unmarshal(env.GetPayload(), &pl))
	require.NoError(t, proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &ch))
	if ch.GetType() != int32(common.HeaderType_ENDORSER_TRANSACTION) {
		return nil, nil
	}
	var tx peer.Transaction
	var cap peer.ChaincodeActionPayload
	var cpp peer.ChaincodeProposalPayload
	var cis peer.ChaincodeInvocationSpec
	var prp peer.ProposalResponsePayload
	var act peer.ChaincodeAction
	require.NoError(t, proto.Unmarshal(pl.GetData(), &tx))
	require.NoError(t, proto.Unmarshal(tx.GetActions()[0].GetPayload(), &cap))
	require.NoError(t, proto.Unmarshal(cap.GetChaincodeProposalPayload(), &cpp))
	require.NoError(t, proto.Unmarshal(cpp.GetInput(), &cis))
	require.NoError(t, proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp))
	require.NoError(t, proto.Unmarshal(prp.GetExtension(), &act))
	return cis.GetChaincodeSpec().GetInput().GetArgs(), act.GetResults()
}

// definedVersion is the receivables definition's version a _lifecycle write set commits ("" when
// it commits none).
func definedVersion(t *testing.T, ns *rwset.NsReadWriteSet) string {
	t.Helper()
	var kv kvrwset.KVRWSet
	require.NoError(t, proto.Unmarshal(ns.GetRwset(), &kv))
	for _, w := range kv.GetWrites() {
		if w.GetKey() == "namespaces/fields/"+chaincode+"/EndorsementInfo" && !w.GetIsDelete() {
			v, err := audit.VersionFromEndorsementInfo(w.GetValue())
			require.NoError(t, err)
			return v
		}
	}
	return ""
}
