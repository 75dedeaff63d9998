package security

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/network"
	"github.com/recv-ledger/recv/test/internal/gwtest"
	"github.com/recv-ledger/recv/test/internal/story"
)

// Issue 17, point 5 (docs/security.md, "Three colluding members"): the channel's LifecycleEndorsement
// and Admins policies name the core enterprise and every bank, so no three organisations without
// the core enterprise can commit a chaincode definition or change the channel.

const channel, chaincode = "receivables", "receivables"

// peerAs runs the peer CLI as org's admin against its own peer.
func peerAs(t *testing.T, org string, args ...string) (string, error) {
	t.Helper()
	env, err := nw.PeerEnv(org, "admin", org)
	require.NoError(t, err)
	return nw.Peer(env, args...)
}

// ordererFlags are the peer CLI's flags to reach orderer1 as org's admin (TLS client pair too,
// for a network with mutual TLS).
func ordererFlags(t *testing.T, org string) []string {
	t.Helper()
	o := nw.Desc.Orderers[0]
	admin := filepath.Join(nw.Dir, "orgs", org, "users", "admin", "tls")
	return []string{"-o", o.Address, "--ordererTLSHostnameOverride", o.ServerName, "--tls", "--cafile", o.TLSCACert,
		"--clientauth", "--certfile", filepath.Join(admin, "cert.pem"), "--keyfile", filepath.Join(admin, "key.pem")}
}

var sequenceRE = regexp.MustCompile(`Sequence: (\d+),`)

// committedSequence is the chaincode definition's sequence as org's peer reports it.
func committedSequence(t *testing.T, org string) int {
	t.Helper()
	out, err := peerAs(t, org, "lifecycle", "chaincode", "querycommitted", "--channelID", channel, "--name", chaincode)
	require.NoError(t, err)
	m := sequenceRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no sequence in %q", out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// TestVeto_ThreeOrgsWithoutTheCoreEnterpriseCannotCommitADefinition: the supplier and both banks
// (three of five, a majority) approve a definition whose endorsement policy leaves the core
// enterprise out, and commit it endorsed by their own three peers: the network refuses it
// (ENDORSEMENT_POLICY_FAILURE against LifecycleEndorsement) and the definition stays as it was.
// Under the MAJORITY policy this commit went through.
func TestVeto_ThreeOrgsWithoutTheCoreEnterpriseCannotCommitADefinition(t *testing.T) {
	colluders := []string{"supplier", "bank1", "bank2"}
	before := committedSequence(t, "core")
	next := strconv.Itoa(before + 1)
	// The same private data collections (a definition may not drop them), another policy.
	def := []string{"--channelID", channel, "--name", chaincode, "--version", "colluders", "--sequence", next,
		"--signature-policy", "OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer')",
		"--collections-config", filepath.Join(nw.Dir, "chaincode", "collections.json")}
	for _, org := range colluders {
		_, err := peerAs(t, org, append(append([]string{"lifecycle", "chaincode", "approveformyorg"}, ordererFlags(t, org)...),
			append(def, "--package-id", "colluders:0000", "--waitForEventTimeout", "60s")...)...)
		require.NoError(t, err, "%s approves", org)
	}
	out, err := peerAs(t, "core", append([]string{"lifecycle", "chaincode", "checkcommitreadiness", "-O", "json"}, def...)...)
	require.NoError(t, err)
	for _, msp := range []string{"SupplierMSP", "Bank1MSP", "Bank2MSP"} {
		require.Contains(t, out, `"`+msp+`": true`, "a majority approved")
	}
	require.Contains(t, out, `"CoreMSP": false`)

	commit := append([]string{"lifecycle", "chaincode", "commit"}, ordererFlags(t, "supplier")...)
	commit = append(commit, def...)
	for _, org := range colluders {
		_, o, err := nw.Desc.Org(org)
		require.NoError(t, err)
		commit = append(commit, "--peerAddresses", o.Peer.Address, "--tlsRootCertFiles", o.Peer.TLSCACert)
	}
	// Several peers: no TLS host name override (each peer's certificate names 127.0.0.1 too).
	env, err := nw.PeerEnv("supplier", "admin", "supplier")
	require.NoError(t, err)
	kept := env[:0]
	for _, v := range env {
		if !strings.HasPrefix(v, "CORE_PEER_TLS_SERVERHOSTOVERRIDE=") {
			kept = append(kept, v)
		}
	}
	_, err = nw.Peer(kept, append(commit, "--waitForEventTimeout", "60s")...)
	require.Error(t, err, "three organisations without the core enterprise committed a definition")
	require.Contains(t, err.Error(), "ENDORSEMENT_POLICY_FAILURE")
	for _, org := range []string{"core", "supplier", "bank1", "bank2", "auditor"} {
		require.Equal(t, before, committedSequence(t, org), "the definition on %s's peer is unchanged", org)
	}
}

// TestVeto_ChannelChangeWithoutTheCoreEnterpriseIsRefused: every organisation but the core
// enterprise (four of five) signs a configuration update that would make the channel's Admins
// policy a plain majority again; the orderer refuses it and the policy stays as it was.
func TestVeto_ChannelChangeWithoutTheCoreEnterpriseIsRefused(t *testing.T) {
	majority := `.channel_group.groups.Application.policies.Admins.policy = {"type": 3, "value": {"rule": "MAJORITY", "sub_policy": "Admins"}}`
	out, err := nw.Script("config-update", "majority-admins", majority, "supplier", "bank1", "bank2", "auditor")
	require.Error(t, err, "the update was accepted: %s", out)
	require.Contains(t, string(out), "signature set did not satisfy policy")
	require.Contains(t, string(out), "signed by the admins of supplier bank1 bank2 auditor")

	// The same update without any change is a no-op; the policy still names the core enterprise.
	keep := `.channel_group.groups.Application.policies.Admins.policy.value.identities |= .`
	out, err = nw.Script("config-update", "unchanged", keep)
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "nothing to update")
}

// TestGrowth_ABankJoinsTheRunningNetwork (issue 10, part 3): `network.sh add-org bank3` on the
// running network: its CA, identities and peer, the channel update signed by the core enterprise
// and both banks, a new chaincode definition, the set-org proposal (approved by the same three,
// the chaincode's veto set), its gateway. Then Bank3
// finances a receivable like the others, and every peer, old and new, ends at the same height with
// the same commit hash (the hash of every state update so far).
func TestGrowth_ABankJoinsTheRunningNetwork(t *testing.T) {
	out, err := nw.Script("add-org", "bank3")
	require.NoError(t, err, "add-org:\n%s", out)
	require.Contains(t, string(out), "signed by the admins of bank1 bank2 core")
	// The channel update was made from files as separate members exchange them (recv kit,
	// docs/operations.md): the newcomer's public definition, the configuration block, the update,
	// the other vetoing admins' signatures and the envelope; none holds a private key.
	dir := filepath.Join(nw.Dir, "channel", "updates", "add-Bank3MSP")
	exchanged, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range exchanged {
		names = append(names, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.NotContains(t, string(b), "PRIVATE KEY", e.Name())
	}
	require.Equal(t, []string{"Bank1MSP.sig", "Bank2MSP.sig", "Bank3MSP.json", "config.block", "update.pb", "update.tx"}, names)
	desc, err := network.Load(filepath.Join(nw.Dir, "network.json"))
	require.NoError(t, err)
	require.Contains(t, desc.Orgs, "Bank3MSP")
	nw.Desc = desc

	status, err := nw.Script("status")
	require.NoError(t, err, "status after add-org:\n%s", status)
	require.Contains(t, string(status), "peer0.bank3")

	// The veto set grew with the bank in the same update: its admin is in Admins, its peer in
	// LifecycleEndorsement, beside the core enterprise and the other banks.
	for _, policy := range []string{"Admins", "LifecycleEndorsement"} {
		named := fetchConfig(t, "bank3", ".channel_group.groups.Application.policies."+policy+
			".policy.value.identities | map(.principal.msp_identifier) | sort")
		require.Equal(t, `["Bank1MSP","Bank2MSP","Bank3MSP","CoreMSP"]`, named, "the %s policy names", policy)
	}

	as := func(account string) *gwtest.Client { return gwtest.As(t, nw.Dir, account) }
	// The registry took Bank3 by the set-org proposal that add-org's org_registered made: applied
	// once the chaincode's own veto set, the core enterprise and both banks, had approved it.
	var proposals wire.ProposalPage
	as("AuditorMSP/auditor").Read(t, "list-proposals", &proposals)
	var added *wire.Proposal
	for i, p := range proposals.Items {
		if p.Action == wire.ActionSetOrg && p.Org != nil && p.Org.MSPID == "Bank3MSP" {
			added = &proposals.Items[i]
		}
	}
	require.NotNil(t, added, "no set-org proposal for Bank3MSP in %+v", proposals.Items)
	require.Equal(t, wire.ProposalApplied, added.Status)
	require.Equal(t, []string{"Bank1MSP", "Bank2MSP", "CoreMSP"}, added.Vetoes)
	require.Empty(t, added.Waiting)

	supplier, bank3 := as("SupplierMSP/supplier-a"), as("Bank3MSP/officer")
	id := gwtest.RequestedAt(t, nw.Dir, "B3", "100000.00", 90, "Bank3MSP")
	bank3.Submit(t, "approve-financing", id, wire.ApproveRequest{RateBps: 380})
	financed := supplier.Eventually(t, id, func(r wire.Receivable) bool { return r.Financed() })
	require.Equal(t, "Bank3MSP/officer", financed.Holder)
	// Its terms are in its own collection with the supplier's organisation (the new definition's
	// collections_json): the supplier, Bank3 and the auditor read them, Bank1 does not.
	terms := story.PrivateTerms(t, nw, id, "SupplierMSP/supplier-a", "Bank3MSP")
	require.Equal(t, int64(380), terms.RateBps)

	orgs := []string{"core", "supplier", "bank1", "bank2", "auditor", "bank3"}
	height := sameHeight(t, orgs)
	want := ""
	for _, org := range orgs {
		h := commitHash(t, org, height-1)
		require.NotEmpty(t, h, "peer0.%s has no commit hash for block %d", org, height-1)
		if want == "" {
			want = h
		}
		require.Equal(t, want, h, "peer0.%s's state differs at block %d", org, height-1)
	}
	// The auditor checks the channel update that admitted Bank3 (and every earlier one) against
	// the modification policies in force: signed by the admins the veto policy names, it is
	// authorised. (Other violations, the collusion test's forgeries, may be on this chain.)
	cli := gwtest.CLI{Bin: nw.RecvBin, NetDir: nw.Dir}
	_, stdout, stderr := cli.Run(t, "--as", "AuditorMSP/auditor", "-o", "json", "audit", "--no-compare")
	var rep struct {
		ConfigUpdates int                                  `json:"configUpdatesVerified"`
		Violations    []struct{ Function, Problem string } `json:"violations"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), "%s\n%s", stdout, stderr)
	require.GreaterOrEqual(t, rep.ConfigUpdates, 1, "the update that added Bank3")
	for _, v := range rep.Violations {
		require.NotEqual(t, "configuration update", v.Function, "a real channel update found unauthorised: %s", v.Problem)
	}
}

var heightRE = regexp.MustCompile(`"height":(\d+)`)

// sameHeight waits until the peers of orgs all report the same height and returns it.
func sameHeight(t *testing.T, orgs []string) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		heights := map[int]bool{}
		last := 0
		for _, org := range orgs {
			out, err := peerAs(t, org, "channel", "getinfo", "-c", channel)
			require.NoError(t, err)
			m := heightRE.FindStringSubmatch(out)
			require.NotNil(t, m, out)
			last, _ = strconv.Atoi(m[1])
			heights[last] = true
		}
		if len(heights) == 1 {
			return last
		}
		require.True(t, time.Now().Before(deadline), "the peers' heights differ: %v", heights)
		time.Sleep(500 * time.Millisecond)
	}
}

// commitHash is block n's commit hash (block metadata COMMIT_HASH) as org's peer stored it: each
// peer computes it from the state updates it committed, so equal hashes mean equal state.
func commitHash(t *testing.T, org string, n int) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), org+".block")
	_, err := peerAs(t, org, "channel", "fetch", strconv.Itoa(n), file, "-c", channel)
	require.NoError(t, err)
	return decodeBlock(t, file, ".metadata.metadata[4]")
}

// fetchConfig is what the jq filter selects from the channel's configuration, as org's admin
// fetches it from orderer1.
func fetchConfig(t *testing.T, org, filter string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "config.block")
	_, err := peerAs(t, org, append([]string{"channel", "fetch", "config", file, "-c", channel}, ordererFlags(t, org)...)...)
	require.NoError(t, err)
	return decodeBlock(t, file, ".data.data[0].payload.data.config"+filter)
}

// decodeBlock decodes a block file with configtxlator and returns what the jq path selects.
func decodeBlock(t *testing.T, file, path string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(nw.Root, "bin", "configtxlator"), "proto_decode", "--input", file, "--type", "common.Block").Output()
	require.NoError(t, err)
	jsonFile := file + ".json"
	require.NoError(t, os.WriteFile(jsonFile, out, 0o600))
	sel, err := exec.Command("jq", "-c", path, jsonFile).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(sel))
}
