package api

import (
	"container/list"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/fabric"
)

// offlineStore keeps prepared proposals and endorsed transactions, waiting for their signatures,
// for a bounded time and count. Entries belong to the caller that prepared them.
type offlineStore struct {
	max int
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]*list.Element
	order   *list.List
}

type offlineEntry struct {
	key     string // stage + "/" + txId
	owner   string
	bytes   []byte
	created time.Time
}

func newOfflineStore(max int, ttl time.Duration) *offlineStore {
	if max <= 0 {
		max = 1000
	}
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	return &offlineStore{max: max, ttl: ttl, entries: map[string]*list.Element{}, order: list.New()}
}

func (s *offlineStore) put(key, owner string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	for s.order.Len() >= s.max {
		old := s.order.Remove(s.order.Front()).(*offlineEntry)
		delete(s.entries, old.key)
	}
	if el, ok := s.entries[key]; ok {
		s.order.Remove(el)
	}
	s.entries[key] = s.order.PushBack(&offlineEntry{key: key, owner: owner, bytes: b, created: time.Now()})
}

// take removes and returns an entry of owner; a signature is used once.
func (s *offlineStore) take(key, owner string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked()
	el, ok := s.entries[key]
	if !ok || el.Value.(*offlineEntry).owner != owner {
		return nil, false
	}
	s.order.Remove(el)
	delete(s.entries, key)
	return el.Value.(*offlineEntry).bytes, true
}

func (s *offlineStore) expireLocked() {
	now := time.Now()
	for s.order.Len() > 0 {
		e := s.order.Front().Value.(*offlineEntry)
		if now.Sub(e.created) < s.ttl {
			return
		}
		s.order.Remove(s.order.Front())
		delete(s.entries, e.key)
	}
}

func (s *Server) offlinePrepare(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req wire.OfflineProposalRequest
	if err := wire.DecodeStrict(body, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	op, ok := wire.Lookup(req.Operation)
	if !ok || !op.Submit {
		s.writeError(w, r, badRequest("unknown operation "+req.Operation))
		return
	}
	pathValue, err := op.PathValuesOf(req.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	decoded, err := op.DecodeBody(req.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// One signature, one transaction: terms in an approval or rejection are recorded by a
	// decide-financing the client signs first (gateway/client does both).
	if _, _, first, err := op.DecisionFirst(decoded); err != nil || first {
		if err == nil {
			err = badRequest(op.Name + " signed offline binds a termsHash: prepare, sign and submit decide-financing with the terms first, then " + op.Name + " with the hash its result carries")
		}
		s.writeError(w, r, err)
		return
	}
	args, transient, err := opArgs(op, r, wire.Request{PathValue: pathValue, Decoded: decoded})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.ledger.PrepareProposal(caller(r), op.Tx, args, transient)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.offline.put("proposal/"+p.TransactionID, caller(r), p.Bytes)
	writeJSON(w, http.StatusCreated, s.offlineDigest(p.TransactionID, p.Signed, p.Digest))
}

func (s *Server) signature(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	var req wire.OfflineSignature
	if err := wire.DecodeStrict(body, &req); err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	sig, err := base64.StdEncoding.DecodeString(req.Signature)
	if err != nil || len(sig) == 0 {
		s.writeError(w, r, badRequest("signature must be base64 of an ASN.1 DER ECDSA signature"))
		return nil, false
	}
	return sig, true
}

// signed reads the caller's signature and takes back what it signs: the bytes the step before
// stage kept for this caller under kind/{txid}. When either is missing it answers the error itself
// and ok is false; notFound, a format of the transaction id, says what was missing.
func (s *Server) signed(w http.ResponseWriter, r *http.Request, stage, kind, notFound string) (txID string, b, sig []byte, ok bool) {
	if sig, ok = s.signature(w, r); !ok {
		return "", nil, nil, false
	}
	txID = r.PathValue("txid")
	if b, ok = s.offline.take(kind+"/"+txID, caller(r)); !ok {
		s.writeError(w, r, &Failure{Kind: wire.KindNotFound, Stage: stage, TransactionID: txID,
			Message: "not_found: " + fmt.Sprintf(notFound, txID)})
		return "", nil, nil, false
	}
	return txID, b, sig, true
}

// offlineDigest is the answer that hands the caller bytes to sign, kept until they expire.
func (s *Server) offlineDigest(txID string, signed, digest []byte) wire.OfflineDigest {
	return wire.OfflineDigest{
		TransactionID: txID,
		Bytes:         base64.StdEncoding.EncodeToString(signed),
		Digest:        base64.StdEncoding.EncodeToString(digest),
		ExpiresAt:     time.Now().Add(s.offline.ttl).UTC(),
	}
}

func (s *Server) offlineEndorse(w http.ResponseWriter, r *http.Request) {
	txID, b, sig, ok := s.signed(w, r, "endorse", "proposal", "no prepared proposal %s of this caller (expired, used, or never prepared)")
	if !ok {
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	tx, err := s.ledger.EndorseSigned(ctx, caller(r), b, sig)
	if err != nil {
		if fe := kindOf(err); fe.Kind == wire.KindInvalid && fe.Stage == "endorse" {
			// A bad signature leaves the proposal usable: put it back for a corrected attempt.
			s.offline.put("proposal/"+txID, caller(r), b)
		}
		s.writeError(w, r, err)
		return
	}
	s.offline.put("transaction/"+tx.TransactionID, caller(r), tx.Bytes)
	d := s.offlineDigest(tx.TransactionID, tx.Signed, tx.Digest)
	d.Result = asJSON(tx.Result)
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) offlineSubmit(w http.ResponseWriter, r *http.Request) {
	txID, b, sig, ok := s.signed(w, r, "submit", "transaction", "no endorsed transaction %s of this caller (expired, used, or never endorsed)")
	if !ok {
		return
	}
	ctx, cancel := s.withTimeout(r)
	defer cancel()
	res, err := s.ledger.SubmitSigned(ctx, caller(r), s.cfg.ServiceIdentity, b, sig)
	if err != nil {
		_, pending := fabric.Pending(err)
		if fe := kindOf(err); pending || (fe.Kind == wire.KindInvalid && fe.Stage == "submit") {
			// A bad signature may be signed again; a transaction sent without a known outcome
			// may be submitted again with the same signature, which follows it (the same id
			// commits at most once) and answers its real outcome.
			s.offline.put("transaction/"+txID, caller(r), b)
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, submitResponse(res))
}
