package console

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// The reasons of the story: R1's transfer to supplier-b was rejected, then Bank1 rejected its
// financing (the reason private to the parties, under termsHash); R9's issuance was rejected.
const (
	offerReason     = `<script>alert("offer")</script> wrong amount & date`
	financingReason = `不符合授信条件 <img src=x onerror=alert(1)>`
	issueReason     = "not our contract"
	rejectHash      = "ab12"
)

// readersAPI answers the reads of four people: the supplier who holds R1 and asked for its
// financing, the auditor, the core enterprise's treasurer (who may read R1 but is no party to
// the bank's terms) and a supplier who may read neither R1 nor R9.
type readersAPI struct{}

var readers = map[string]wire.WhoAmI{
	"Bearer supplier": {Name: "supplier-a", Account: "SupplierMSP/supplier-a", Role: wire.RoleSupplier},
	"Bearer auditor":  {Name: "auditor", Account: "AuditorMSP/auditor", Role: wire.RoleAuditor},
	"Bearer issuer":   {Name: "treasurer", Account: "CoreMSP/treasurer", Role: wire.RoleIssuer},
	"Bearer stranger": {Name: "supplier-z", Account: "SupplierMSP/supplier-z", Role: wire.RoleSupplier},
}

func (readersAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	me, ok := readers[r.Header.Get("Authorization")]
	problem := func(status int, kind wire.Kind, msg string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(wire.NewProblem(kind, msg))
	}
	if !ok {
		problem(http.StatusUnauthorized, wire.KindUnauthenticated, "unauthenticated")
		return
	}
	r1 := &wire.Receivable{ID: "R1", RootID: "R1", Issuer: "CoreMSP/treasurer", Holder: "SupplierMSP/supplier-a",
		Status: wire.StatusActive, AmountFen: 60000000, MaturityDate: "2027-03-01", LastTxID: "t-fin"}
	r9 := &wire.Receivable{ID: "R9", RootID: "R9", Issuer: "CoreMSP/treasurer", Status: wire.StatusRejected,
		AmountFen: 8000000, MaturityDate: "2027-03-01", LastTxID: "t-r9"}
	mayRead := me.Role != wire.RoleSupplier || me.Account == r1.Holder
	w.Header().Set("Content-Type", "application/json")
	switch q := r.URL.Query(); {
	case r.URL.Path == "/v1/whoami":
		_ = json.NewEncoder(w).Encode(me)
	case strings.HasPrefix(r.URL.Path, "/v1/receivables/R1") && !mayRead:
		problem(http.StatusForbidden, wire.KindForbidden, "forbidden: "+me.Account+" may not read receivable R1")
	case r.URL.Path == "/v1/receivables/R1":
		_ = json.NewEncoder(w).Encode(r1)
	case r.URL.Path == "/v1/receivables/R1/history":
		_ = json.NewEncoder(w).Encode([]wire.HistoryEntry{
			{TxID: "t-offer", Submitter: "SupplierMSP/supplier-a", Value: &wire.Receivable{ID: "R1", Status: wire.StatusPending}},
			{TxID: "t-rej", Submitter: "SupplierMSP/supplier-b", Value: &wire.Receivable{ID: "R1", Status: wire.StatusActive}},
			{TxID: "t-req", Submitter: "SupplierMSP/supplier-a", Value: &wire.Receivable{ID: "R1", Status: wire.StatusFinancing}},
			{TxID: "t-fin", Submitter: "Bank1MSP/officer", Value: r1},
		})
	case r.URL.Path == "/v1/roots/R9/trace":
		_ = json.NewEncoder(w).Encode(wire.Trace{Root: &wire.TraceNode{Receivable: r9}})
	case r.URL.Path == "/v1/roots/R1/trace" && mayRead:
		_ = json.NewEncoder(w).Encode(wire.Trace{Root: &wire.TraceNode{Receivable: r1}})
	case r.URL.Path == "/v1/receivables/R1/terms/"+rejectHash:
		if !wire.TermsParty(wire.MSPOf(me.Account), me.Account, me.Role, "SupplierMSP/supplier-a", "Bank1MSP") {
			problem(http.StatusForbidden, wire.KindForbidden, "forbidden: not a party to the terms")
			return
		}
		_ = json.NewEncoder(w).Encode(wire.Terms{ID: "R1", Bank: "Bank1MSP", Decision: wire.DecisionRejected, Reason: financingReason})
	case r.URL.Path == "/v1/receivables" && q.Get("holder") == r1.Holder && me.Account == r1.Holder:
		_ = json.NewEncoder(w).Encode(wire.Page{Items: []*wire.Receivable{r1}})
	case r.URL.Path == "/v1/receivables" && q.Get("issuer") == "CoreMSP/treasurer" && me.Role == wire.RoleIssuer:
		_ = json.NewEncoder(w).Encode(wire.Page{Items: []*wire.Receivable{r1, r9}})
	case r.URL.Path == "/v1/receivables":
		_ = json.NewEncoder(w).Encode(wire.Page{})
	default:
		problem(http.StatusNotFound, wire.KindNotFound, "not_found: "+r.URL.Path)
	}
}

// newReadersConsole is a console whose watcher saw the three rejections of the story.
func newReadersConsole(t *testing.T) *Console {
	t.Helper()
	c, err := New(Config{API: readersAPI{}, Auth: knownTokens{"supplier": "supplier-a", "auditor": "auditor", "issuer": "treasurer", "stranger": "supplier-z"},
		MSPID: "SupplierMSP", OrgName: "supplier", SessionTTL: time.Hour})
	require.NoError(t, err)
	c.watch.add(reasonEvent(t, 5, "t-rej", "Reject", offerReason, wire.EventItem{ID: "R1", Status: wire.StatusActive}))
	c.watch.add(event(t, 6, "t-req", "RequestFinancing", wire.EventItem{ID: "R1", Status: wire.StatusFinancing, Bank: "Bank1MSP"}))
	c.watch.add(event(t, 7, "t-fin", "RejectFinancing", wire.EventItem{ID: "R1", Status: wire.StatusActive, Bank: "Bank1MSP", TermsHash: rejectHash}))
	c.watch.add(reasonEvent(t, 8, "t-r9", "Reject", issueReason, wire.EventItem{ID: "R9", Status: wire.StatusRejected}))
	return c
}

func TestConsole_ARejectionsReasonIsShownToWhoeverMayReadTheReceivable(t *testing.T) {
	c := newReadersConsole(t)
	escaped := func(s string) string { return html.EscapeString(s) }
	for _, tc := range []struct {
		token            string
		offer, financing bool // the reasons this person reads
		private          bool // told that the financing's reason is private
	}{
		{token: "supplier", offer: true, financing: true},
		{token: "auditor", offer: true, financing: true},
		{token: "issuer", offer: true, private: true},
		{token: "stranger"},
	} {
		t.Run(tc.token, func(t *testing.T) {
			b := newBrowser(t, c)
			require.Equal(t, http.StatusSeeOther, b.signIn(tc.token).Code)
			for _, path := range []string{"/audit?q=R1", "/audit/history/R1"} {
				body := b.do("GET", path, nil).Body.String()
				require.NotContains(t, body, "<script>alert", path+": a reason is text, never markup")
				require.NotContains(t, body, "<img src=x", path)
				require.Equal(t, tc.offer, strings.Contains(body, escaped(offerReason)), path)
				require.Equal(t, tc.financing, strings.Contains(body, escaped(financingReason)), path)
				require.Equal(t, tc.private, strings.Contains(body, "the reason is private"), path)
				require.Equal(t, tc.offer, strings.Contains(body, "Financing rejected by Bank1MSP"), path)
				require.NotContains(t, body, issueReason, path+": another receivable's")
			}
		})
	}
}

func TestConsole_TheHolderSeesWhyItsLastRequestWasRejected(t *testing.T) {
	b := newBrowser(t, newReadersConsole(t))
	b.signIn("supplier")
	body := b.do("GET", "/holdings", nil).Body.String()
	require.Contains(t, body, `<p class="last-rejection">`)
	require.Contains(t, body, html.EscapeString(financingReason))
	require.NotContains(t, body, html.EscapeString(offerReason), "only the rejection that wrote it last")
	require.Contains(t, body, `<a href="/audit?q=R1">`, "the receivable's page, with every rejection")
}

func TestConsole_TheIssuerSeesWhyAnIssuanceWasRejected(t *testing.T) {
	b := newBrowser(t, newReadersConsole(t))
	b.signIn("issuer")
	body := b.do("GET", "/issued", nil).Body.String()
	require.Contains(t, body, `<section id="rejected" data-live>`)
	require.Contains(t, body, `<li data-id="R9">`)
	require.Contains(t, body, issueReason)
}

func TestConsole_TheLineageShowsTheRejectionThatWroteAPieceLast(t *testing.T) {
	c := newReadersConsole(t)
	for token, want := range map[string]string{"auditor": html.EscapeString(financingReason), "issuer": "the reason is private"} {
		b := newBrowser(t, c)
		b.signIn(token)
		body := b.do("GET", "/audit/trace/R1", nil).Body.String()
		require.Contains(t, body, want, token)
		require.NotContains(t, body, html.EscapeString(offerReason), token+": only the rejection that wrote it last")
	}
	b := newBrowser(t, c)
	b.signIn("issuer")
	require.Contains(t, b.do("GET", "/audit/trace/R9", nil).Body.String(), issueReason)
}
