package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// action is a write the console offers: the wire operation it runs, its label in the person's
// terms, and how its body is read from the form (nil: no body).
type action struct {
	label string
	body  func(f url.Values) (any, error)
}

// actions are keyed by the wire.Ops name they run.
var actions = map[string]action{
	"accept":             {label: "签收 Accept"},
	"reject":             {label: "拒收 Reject", body: reasonBody},
	"revoke":             {label: "撤回 Revoke"},
	"split":              {label: "拆分 Split", body: splitBody},
	"transfer":           {label: "流转 Transfer", body: transferBody},
	"request-financing":  {label: "融资 Request financing", body: financingBody},
	"withdraw-financing": {label: "撤回融资 Withdraw financing"},
	"approve-financing":  {label: "放款 Approve financing", body: approveBody},
	"reject-financing":   {label: "拒绝融资 Reject financing", body: reasonBody},
	"issue":              {label: "开立 Issue", body: issueBody},
	"redeem":             {label: "兑付 Redeem", body: redeemBody},
	"redeem-all":         {label: "全部兑付 Redeem all", body: redeemBody},
	// Two-person control: an issuer's issue and redeem are requests; an approver confirms them.
	"confirm": {label: "确认 Confirm"},
	"refuse":  {label: "拒绝 Refuse", body: reasonBody},
}

// formError is a form the console cannot turn into a request; it is shown like a refusal.
type formError string

func (e formError) Error() string { return string(e) }

// redeemBody is a redemption's payment reference (付款流水号).
func redeemBody(f url.Values) (any, error) {
	ref := strings.TrimSpace(f.Get("paymentRef"))
	if ref == "" {
		return nil, formError("付款流水号 the payment reference is required")
	}
	return wire.RedeemRequest{PaymentRef: ref}, nil
}

func reasonBody(f url.Values) (any, error) {
	return wire.ReasonRequest{Reason: strings.TrimSpace(f.Get("reason"))}, nil
}

func splitBody(f url.Values) (any, error) {
	var parts []string
	for _, p := range f["part"] {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, strings.ReplaceAll(p, ",", ""))
		}
	}
	return wire.SplitRequest{Parts: parts}, nil
}

func transferBody(f url.Values) (any, error) {
	return wire.TransferRequest{To: strings.TrimSpace(f.Get("to")), Amount: strings.ReplaceAll(strings.TrimSpace(f.Get("amount")), ",", "")}, nil
}

func financingBody(f url.Values) (any, error) {
	return wire.FinancingRequest{Bank: strings.TrimSpace(f.Get("bank"))}, nil
}

func approveBody(f url.Values) (any, error) {
	v := strings.TrimSpace(f.Get("rateBps"))
	rate, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, formError("年利率 rate " + strconv.Quote(v) + " must be a whole number of basis points, e.g. 450 for 4.50%")
	}
	return wire.ApproveRequest{RateBps: rate}, nil
}

// issueBody reads the issue form: the documents' SHA-256 were computed in the browser, whose
// files never left it.
func issueBody(f url.Values) (any, error) {
	req := wire.IssueRequest{
		Beneficiary:  strings.TrimSpace(f.Get("beneficiary")),
		Amount:       strings.ReplaceAll(strings.TrimSpace(f.Get("amount")), ",", ""),
		MaturityDate: strings.TrimSpace(f.Get("maturity")),
		Contract:     wire.Document{Number: strings.TrimSpace(f.Get("contractNumber")), SHA256: strings.TrimSpace(f.Get("contractSha256"))},
	}
	nums, sums, amounts := f["invoiceNumber"], f["invoiceSha256"], f["invoiceAmount"]
	for i := range nums {
		n := strings.TrimSpace(nums[i])
		if n == "" {
			continue
		}
		inv := wire.Invoice{Number: n}
		if i < len(sums) {
			inv.SHA256 = strings.TrimSpace(sums[i])
		}
		if i < len(amounts) {
			inv.Amount = strings.ReplaceAll(strings.TrimSpace(amounts[i]), ",", "")
		}
		req.Invoices = append(req.Invoices, inv)
	}
	return req, nil
}

// safeBack is where a form returns: a path of this console, or its home.
func safeBack(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

// do runs one write as the session's identity and shows its outcome on the page the form came
// from: the committed transaction and block, or the refusal's message.
func (c *Console) do(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PathValue("op")
	act, ok := actions[name]
	back := safeBack(r.PostFormValue("back"))
	if !ok {
		c.refuse(w, r, http.StatusNotFound, "no action "+strconv.Quote(name))
		return
	}
	op, _ := wire.Lookup(name)
	id := strings.TrimSpace(r.PostFormValue("id"))
	n := notice{Action: act.label, Target: id}
	defer func() {
		s.push(n)
		http.Redirect(w, r, back, http.StatusSeeOther)
	}()
	if s.offline {
		n.Kind, n.Detail = "forbidden", "这个身份离线签名 This identity signs offline: the gateway never holds its key. Sign in the browser that enrolled it (its script signs each write there), or use the recv CLI with --sign-with KEY.pem."
		return
	}
	var body any
	if act.body != nil {
		var err error
		if body, err = act.body(r.PostForm); err != nil {
			n.Kind, n.Detail = string(wire.KindInvalid), err.Error()
			return
		}
	}
	var pathValues []string
	if strings.Contains(op.Path, "{") {
		if id == "" {
			n.Kind, n.Detail = string(wire.KindInvalid), "no receivable named"
			return
		}
		pathValues = []string{id}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	// The form's key makes a double submission one transaction.
	res, err := c.clientOf(r, s.token).Submit(ctx, name, pathValues, body, client.WithIdempotencyKey(r.PostFormValue("key")))
	if err != nil {
		n.Kind, n.Detail = "error", problemText(err)
		if p, ok := err.(*wire.Problem); ok {
			n.Kind = string(p.Kind)
		}
		c.log.Info("console: refused", "op", name, "id", id, "account", s.account, "kind", n.Kind)
		return
	}
	committed(&n, res)
}
