package memstub

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

func TestCompositeKeys_MatchTheShimEncoding(t *testing.T) {
	s := NewLedger().NewStub("tx", time.Unix(0, 0), nil)
	for _, attrs := range [][]string{{}, {"a"}, {"SupplierMSP/supplier-a", "R-1.2"}, {"中文", ""}} {
		want, err := shim.CreateCompositeKey("holder", attrs)
		require.NoError(t, err)
		got, err := s.CreateCompositeKey("holder", attrs)
		require.NoError(t, err)
		require.Equal(t, want, got)
		typ, back, err := s.SplitCompositeKey(got)
		require.NoError(t, err)
		require.Equal(t, "holder", typ)
		require.Equal(t, len(attrs), len(back))
	}
	_, err := s.CreateCompositeKey("holder", []string{"a\x00b"})
	require.Error(t, err)
	_, err = s.CreateCompositeKey("holder", []string{"\xff"})
	require.Error(t, err)
	_, _, err = s.SplitCompositeKey("plain")
	require.Error(t, err)
}

func TestStub_WritesAreInvisibleUntilCommitAndEmptyValueDeletes(t *testing.T) {
	l := NewLedger()
	s := l.NewStub("tx1", time.Unix(100, 0), nil, "Put", "x")
	require.NoError(t, s.PutState("k", []byte("v1")))
	got, err := s.GetState("k")
	require.NoError(t, err)
	require.Nil(t, got, "no read-your-writes, as in Fabric")
	s.Commit()
	require.Equal(t, []byte("v1"), l.State("k"))

	s = l.NewStub("tx2", time.Unix(200, 0), nil)
	require.NoError(t, s.PutState("k", nil))
	require.Error(t, s.PutState("", []byte("x")))
	s.Commit()
	require.Nil(t, l.State("k"))

	it, err := l.NewStub("q", time.Unix(300, 0), nil).GetHistoryForKey("k")
	require.NoError(t, err)
	first, err := it.Next()
	require.NoError(t, err)
	require.Equal(t, "tx2", first.TxId, "newest first")
	require.True(t, first.IsDelete)
	second, err := it.Next()
	require.NoError(t, err)
	require.Equal(t, "tx1", second.TxId)
	require.False(t, it.HasNext())
	_, err = it.Next()
	require.Error(t, err)
	require.NoError(t, it.Close())
}

func TestStub_RangesAndPagination(t *testing.T) {
	l := NewLedger()
	s := l.NewStub("tx", time.Unix(0, 0), nil)
	for _, k := range []string{"rcv/R-1", "rcv/R-1.1", "rcv/R-1.2", "rcv/R-10", "rcv/R-2"} {
		require.NoError(t, s.PutState(k, []byte(k)))
	}
	for _, id := range []string{"a", "b", "c"} {
		k, _ := s.CreateCompositeKey("holder", []string{"acct", id})
		require.NoError(t, s.PutState(k, []byte{0}))
	}
	s.Commit()
	q := l.NewStub("q", time.Unix(0, 0), nil)
	it, err := q.GetStateByRange("rcv/R-1.", "rcv/R-1/")
	require.NoError(t, err)
	var keys []string
	for it.HasNext() {
		kv, err := it.Next()
		require.NoError(t, err)
		keys = append(keys, kv.Key)
	}
	require.Equal(t, []string{"rcv/R-1.1", "rcv/R-1.2"}, keys)
	_, err = q.GetStateByRange("\x00holder", "")
	require.Error(t, err)

	it, meta, err := q.GetStateByPartialCompositeKeyWithPagination("holder", []string{"acct"}, 2, "")
	require.NoError(t, err)
	require.Equal(t, int32(2), meta.FetchedRecordsCount)
	require.NotEmpty(t, meta.Bookmark)
	it, meta, err = q.GetStateByPartialCompositeKeyWithPagination("holder", []string{"acct"}, 2, meta.Bookmark)
	require.NoError(t, err)
	require.True(t, it.HasNext())
	require.Empty(t, meta.Bookmark)
	_, _, err = q.GetStateByPartialCompositeKeyWithPagination("holder", []string{"acct"}, 2, "zzz")
	require.Error(t, err)
	_, _, err = q.GetStateByRangeWithPagination("rcv/", "rcv0", 0, "")
	require.Error(t, err)
	_, meta, err = q.GetStateByRangeWithPagination("rcv/", "rcv0", 10, "")
	require.NoError(t, err)
	require.Equal(t, int32(5), meta.FetchedRecordsCount)
	all, err := q.GetStateByPartialCompositeKey("holder", nil)
	require.NoError(t, err)
	require.True(t, all.HasNext())
}

func TestIdentity_WorksWithTheRealClientIdentityLibrary(t *testing.T) {
	ca, err := NewCA()
	require.NoError(t, err)
	creator, err := ca.User("SupplierMSP", "supplier-a", "supplier")
	require.NoError(t, err)
	s := NewLedger().NewStub("tx", time.Unix(0, 0), creator)
	id, err := cid.New(s)
	require.NoError(t, err)
	msp, err := id.GetMSPID()
	require.NoError(t, err)
	require.Equal(t, "SupplierMSP", msp)
	role, found, err := id.GetAttributeValue("recv.role")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "supplier", role)
	cert, err := id.GetX509Certificate()
	require.NoError(t, err)
	require.Equal(t, "supplier-a", cert.Subject.CommonName)
}

func TestStub_PrivateDataIsCommittedWithTheTransaction(t *testing.T) {
	l := NewLedger()
	s := l.NewStub("tx", time.Unix(5, 0), nil, "Fn")
	s.SetTransient(map[string][]byte{"k": []byte("v")})
	tm, err := s.GetTransient()
	require.NoError(t, err)
	require.Equal(t, "v", string(tm["k"]))
	require.Error(t, s.PutPrivateData("", "k", []byte("v")))
	require.Error(t, s.PutPrivateData("c", "k", nil))
	require.NoError(t, s.PutPrivateData("c", "k", []byte("v")))
	got, err := s.GetPrivateData("c", "k")
	require.NoError(t, err)
	require.Nil(t, got, "reads never see the transaction's own writes")
	require.Len(t, s.PrivateWrites(), 1)
	s.Commit()
	got, err = l.NewStub("tx2", time.Unix(6, 0), nil).GetPrivateData("c", "k")
	require.NoError(t, err)
	require.Equal(t, "v", string(got))
	require.Equal(t, "v", string(l.Private()["c"]["k"]))
	_, err = s.GetPrivateData("", "k")
	require.Error(t, err)
	l.ForgetPrivate("c")
	require.Empty(t, l.Private())
	_, err = s.GetPrivateData("c", "k")
	require.ErrorIs(t, err, ErrPrivateDataNotHeld)
}

func TestStub_ArgsEventsAndUnsupportedCalls(t *testing.T) {
	l := NewLedger()
	s := l.NewStub("tx", time.Unix(5, 0), []byte("creator"), "Fn", "a", "b")
	fn, params := s.GetFunctionAndParameters()
	require.Equal(t, "Fn", fn)
	require.Equal(t, []string{"a", "b"}, params)
	require.Len(t, s.GetArgs(), 3)
	slice, _ := s.GetArgsSlice()
	require.Equal(t, "Fnab", string(slice))
	require.Equal(t, "tx", s.GetTxID())
	require.Equal(t, "receivables", s.GetChannelID())
	ts, _ := s.GetTxTimestamp()
	require.Equal(t, int64(5), ts.Seconds)
	require.Error(t, s.SetEvent("", nil))
	require.NoError(t, s.SetEvent("Issue", []byte("{}")))
	require.Len(t, s.Events(), 1)
	s.Commit()
	require.Len(t, l.Events(), 1)
	require.Empty(t, l.Keys())
	require.Empty(t, l.Snapshot())
	empty := l.NewStub("tx", time.Unix(5, 0), nil)
	fn, params = empty.GetFunctionAndParameters()
	require.Empty(t, fn)
	require.Empty(t, params)

	_, err := s.GetQueryResult("{}")
	require.ErrorIs(t, err, ErrUnsupported)
	_, _, err = s.GetQueryResultWithPagination("{}", 1, "")
	require.ErrorIs(t, err, ErrUnsupported)
	require.Equal(t, int32(shim.ERROR), s.InvokeChaincode("x", nil, "").Status)
	sp, err := s.GetSignedProposal()
	require.NoError(t, err)
	require.NotNil(t, sp)
}

// A committed private value's hash is answered for every collection, held or not, as a peer
// answers it (members and non-members alike); a state-based policy is committed with its key and
// deleted with it.
func TestStub_PrivateHashesAndValidationParameters(t *testing.T) {
	l := NewLedger()
	s := l.NewStub("tx1", time.Unix(1, 0), nil)
	require.NoError(t, s.PutPrivateData("c", "k", []byte("v")))
	require.NoError(t, s.PutState("a", []byte("1")))
	require.NoError(t, s.SetStateValidationParameter("a", []byte("p1")))
	h, err := s.GetPrivateDataHash("c", "k")
	require.NoError(t, err)
	require.Nil(t, h, "nothing committed yet")
	require.Equal(t, map[string][]byte{"a": nil}, s.Policies(), "a new key: the chaincode-level policy")
	s.Commit()

	s = l.NewStub("tx2", time.Unix(2, 0), nil)
	h, err = s.GetPrivateDataHash("c", "k")
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("v"))
	require.Equal(t, sum[:], h)
	l.ForgetPrivate("c")
	h, err = s.GetPrivateDataHash("c", "k")
	require.NoError(t, err)
	require.Equal(t, sum[:], h, "a peer without the value still has its hash")
	_, err = s.GetPrivateDataHash("", "k")
	require.Error(t, err)

	p, err := s.GetStateValidationParameter("a")
	require.NoError(t, err)
	require.Equal(t, []byte("p1"), p)
	require.NoError(t, s.DelState("a"))
	require.Equal(t, map[string][]byte{"a": []byte("p1")}, s.Policies(), "the delete is checked against the key's policy")
	s.Commit()
	require.Nil(t, l.ValidationParameter("a"), "deleted with its key")
	require.Equal(t, map[string][]byte{"a": []byte("p1")}, s.Policies(), "as of the commit")
	vals, err := l.NewStub("tx3", time.Unix(3, 0), nil).GetMultipleStates("a", "b")
	require.NoError(t, err)
	require.Equal(t, [][]byte{nil, nil}, vals)
}
