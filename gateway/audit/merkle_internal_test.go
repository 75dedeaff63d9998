package audit

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/stretchr/testify/require"
)

// fabricSummaries are the Merkle summaries Fabric v2.5.0's own code
// (core/ledger/kvledger/txmgmt/rwsetutil.RangeQueryResultsHelper with SHA-256, what a peer uses when
// it simulates a range query) produced for n results of summaryKeys, at each maximum degree.
var fabricSummaries = []struct {
	degree, n int
	level     uint32
	hashes    []string
}{
	{2, 3, 1, []string{"4ee7f46db715df74c97e6069df95255ccf15b0bd97e0b4357bd22bbdd1345b6f"}},
	{2, 7, 2, []string{"35e878e0bd00a583433e7456bea16e13f0a5ca7e557b497bfadc0aa02bec80f2"}},
	{3, 12, 1, []string{"617396f6a7b9574d94964c1aefbd59be36e52369f53419d2059fd69e4798795c",
		"531c5db1d0eb5a76d8fe0f463470c193448a7023661c0cc78023af3740b0ce22",
		"0683558bc54f06aa0a6524a64880ef44dea2bed9b1da464df9fd961d25709eba"}},
	{3, 40, 2, []string{"deaee46f5584206ba7579fa1993a45e8a981986f830d67e729a99fbb0a69ef13",
		"c8fd6bcef41d58560a985d84e8b0625a892e5ee668654a1644252f427cec9b7f",
		"22f01a019d9e30ebdb0893e2ab3f6168aaa9bebe3820092d322015757877e386"}},
	{50, 51, 1, []string{"9804a137d967c5ff4ee0523e66c80f68066167d251aa048c2f8534974b064450"}},
	{50, 130, 1, []string{"9804a137d967c5ff4ee0523e66c80f68066167d251aa048c2f8534974b064450",
		"e4c93cd824946ebccbb61cf72a8eeec841b3f52b4e91ee1264ba986d0fa9b8d5",
		"60bdcf28d2b83ffc728464a40606d9656217ba6db958ac9a61a195000d1f1b2e"}},
	{50, 2600, 2, []string{"d742bc1d9652f6b7ac4c881ab0d5d79ddf7c924364d62a1af9fbe744fe524227"}},
}

// summaryKeys is result i of the vectors above: its key and version.
func summaryKeys(i int) *kvrwset.KVRead {
	return &kvrwset.KVRead{Key: fmt.Sprintf("exposure/CoreMSP/t/%05d", i), Version: &kvrwset.Version{BlockNum: uint64(3 + i/7), TxNum: uint64(i % 7)}}
}

func fabricSummary(t *testing.T, degree int, level uint32, hashes []string) *kvrwset.QueryReadsMerkleSummary {
	t.Helper()
	s := &kvrwset.QueryReadsMerkleSummary{MaxDegree: uint32(degree), MaxLevel: level}
	for _, h := range hashes {
		b, err := hex.DecodeString(h)
		require.NoError(t, err)
		s.MaxLevelHashes = append(s.MaxLevelHashes, b)
	}
	return s
}

func TestMerkle_TheSummaryFabricBuilds(t *testing.T) {
	for _, v := range fabricSummaries {
		m := newMerkle(uint32(v.degree))
		for i := range v.n {
			m.add(summaryKeys(i))
		}
		got, err := m.summary()
		require.NoError(t, err)
		require.True(t, sameSummary(fabricSummary(t, v.degree, v.level, v.hashes), got), "degree %d, %d results: %v", v.degree, v.n, got)
	}
	m := newMerkle(50)
	for i := range 50 {
		m.add(summaryKeys(i))
	}
	got, err := m.summary()
	require.NoError(t, err)
	require.Nil(t, got, "up to the degree, Fabric keeps the results raw")
}

// A range query kept as a Merkle summary is recomputed on the rebuilt keys: the keys and versions
// the blocks leave give Fabric's summary; a key that entered the range since (a phantom), one that
// left it, or a version that moved, give another, and the flag is named.
func TestCheckSummarisedRange_FindsThePhantomAFlagHides(t *testing.T) {
	v := fabricSummaries[5] // degree 50, 130 results
	rq := &kvrwset.RangeQueryInfo{StartKey: "exposure/CoreMSP/t/", EndKey: "exposure/CoreMSP/t0", ItrExhausted: true,
		ReadsInfo: &kvrwset.RangeQueryInfo_ReadsMerkleHashes{ReadsMerkleHashes: fabricSummary(t, v.degree, v.level, v.hashes)}}
	put := func(a *Auditor, key string, v *kvrwset.Version) {
		a.versions[key] = v
		a.keys.ReplaceOrInsert(key)
	}
	state := func(change func(a *Auditor)) *Auditor {
		a, err := New(Options{NoReplay: true})
		require.NoError(t, err)
		for i := range v.n {
			r := summaryKeys(i)
			put(a, r.Key, r.Version)
		}
		put(a, "exposure/CoreMSP/base", &kvrwset.Version{BlockNum: 9})
		put(a, "exposure/CoreMSP0", &kvrwset.Version{BlockNum: 9})
		if change != nil {
			change(a)
		}
		return a
	}
	require.NoError(t, state(nil).checkSummarisedRange(rq), "the keys the blocks leave, those outside the range ignored")
	for name, change := range map[string]func(a *Auditor){
		"a phantom":       func(a *Auditor) { put(a, "exposure/CoreMSP/t/00007x", &kvrwset.Version{}) },
		"a key gone":      func(a *Auditor) { delete(a.versions, summaryKeys(129).Key); a.keys.Delete(summaryKeys(129).Key) },
		"a version moved": func(a *Auditor) { a.versions[summaryKeys(60).Key] = &kvrwset.Version{BlockNum: 99} },
	} {
		err := state(change).checkSummarisedRange(rq)
		require.ErrorContains(t, err, "kept as a Merkle summary, does not match the keys and versions", name)
	}

	// A query that stopped early ends at the last key it read, included.
	early := &kvrwset.RangeQueryInfo{StartKey: "exposure/CoreMSP/t/", EndKey: summaryKeys(129).Key, ItrExhausted: false,
		ReadsInfo: rq.ReadsInfo}
	require.NoError(t, state(func(a *Auditor) {
		put(a, "exposure/CoreMSP/t/99999", &kvrwset.Version{})
	}).checkSummarisedRange(early), "keys after the last one read are not the query's")
}
