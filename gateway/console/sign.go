package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/auth"
	"github.com/recv-ledger/recv/gateway/client"
)

// Browser keys. A user registered with `recv user register NAME --browser` enrolls at /enroll:
// its browser makes a non-extractable P-256 key (WebCrypto), keeps it in IndexedDB and sends only
// a CSR, with the one-time code, which the console hands to the REST API's POST /v1/enroll in
// this process; the user is then signed in. Its writes are signed in the browser
// (static/sign.js): the console relays the offline flow of the REST API as the session
// (/sign/proposal, /sign/endorse, /sign/submit); the browser reads each proposal and transaction
// it is asked to sign and refuses one that is not the action its form asked for.

// decideLabel names the decision an approval or rejection of financing records first.
const decideLabel = "融资决定 Financing decision"

// enrollPage shows the enrollment form, with the sign-in form's CSRF cookie.
func (c *Console) enrollPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.current(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	pre := randomToken()
	c.setCookie(w, c.pre, pre, 600)
	c.render(w, r, http.StatusOK, "enroll", nil, view{Title: "注册 Enroll this browser", CSRF: pre})
}

// enrolled is the console's answer to an enrollment: the account, the certificate the browser
// checks against its key, the token (shown once) and the page to go to.
type enrolled struct {
	Account     string `json:"account"`
	Role        string `json:"role"`
	Certificate string `json:"certificate"`
	Token       string `json:"token"`
	Next        string `json:"next"`
}

// problemJSON is the console's JSON answer to a refused step: the kind and the message, and
// whether a notice waits on the next page.
type problemJSON struct {
	Kind           string `json:"kind"`
	Detail         string `json:"detail"`
	Stage          string `json:"stage,omitempty"`
	ValidationCode string `json:"validationCode,omitempty"`
	Notice         bool   `json:"notice,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeProblem answers err as JSON with its HTTP status.
func writeProblem(w http.ResponseWriter, err error, notice bool) {
	out := problemJSON{Kind: string(wire.KindInternal), Detail: problemText(err), Notice: notice}
	status := http.StatusBadGateway
	var p *wire.Problem
	if errors.As(err, &p) {
		out.Kind, out.Stage, out.ValidationCode, status = string(p.Kind), p.Stage, p.ValidationCode, p.Status
	}
	if status < 400 {
		status = http.StatusBadGateway
	}
	writeJSON(w, status, out)
}

// enroll hands the browser's CSR and the code to the REST API, then signs the new user in. The
// form is protected like the sign-in form (its own CSRF cookie, this origin); the code is the
// credential, checked and counted by the API.
func (c *Console) enroll(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	pre, err := r.Cookie(c.pre)
	if err != nil || !sameToken(r.PostFormValue("csrf"), pre.Value) || !c.sameOrigin(r) {
		writeJSON(w, http.StatusForbidden, problemJSON{Kind: string(wire.KindForbidden), Detail: "拒绝 Refused: the enrollment form expired or did not come from this console; reload the page"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	anon := c.clientOf(r, "")
	resp, err := anon.Do(ctx, http.MethodPost, "/v1/enroll", wire.BrowserEnrollment{
		Name: strings.TrimSpace(r.PostFormValue("name")), Code: strings.TrimSpace(r.PostFormValue("code")), CSR: r.PostFormValue("csr"),
	}, nil)
	var res wire.NewUserResult
	if err == nil {
		err = resp.Decode(&res)
	}
	if err != nil {
		if resp != nil && resp.Header.Get("Retry-After") != "" {
			w.Header().Set("Retry-After", resp.Header.Get("Retry-After"))
		}
		writeProblem(w, err, false)
		return
	}
	me, err := c.clientOf(r, res.Token).WhoAmI(ctx)
	if err != nil {
		writeProblem(w, err, false)
		return
	}
	s := c.sessions.create(&session{token: res.Token, name: me.Name, account: me.Account, role: me.Role, offline: me.OfflineOnly})
	c.setCookie(w, c.pre, "", -1)
	c.setCookie(w, c.cookie, s.id, int(c.cfg.SessionTTL/time.Second))
	c.log.Info("console: enrolled with a browser key and signed in", "account", s.account, "role", s.role, "source", auth.Source(r))
	next := roleHome(s.role)
	if next == "" {
		next = "/"
	}
	writeJSON(w, http.StatusCreated, enrolled{Account: res.Account, Role: res.Role, Certificate: res.Certificate, Token: res.Token, Next: next})
}

// signedOp is the write a signing step belongs to: a console action, or the decision an approval
// or rejection of financing records first.
func signedOp(name string) (label string, ok bool) {
	if name == "decide-financing" {
		return decideLabel, true
	}
	act, ok := actions[name]
	return act.label, ok && name != "issue"
}

// sign relays one step of the offline flow for a session whose identity signs in its browser:
// proposal (prepare the op with the body the browser built), endorse and submit (with the
// browser's signature of the bytes it was given). A refusal by the gateway is a notice on the
// next page, except a commit conflict the browser says it will retry (retry=1) with a fresh
// proposal.
func (c *Console) sign(w http.ResponseWriter, r *http.Request, s *session) {
	name := r.PostFormValue("op")
	label, ok := signedOp(name)
	id := strings.TrimSpace(r.PostFormValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, problemJSON{Kind: string(wire.KindNotFound), Detail: "no action " + name + " is signed in the browser (issue with the recv CLI and --sign-with)"})
		return
	}
	if !s.offline {
		writeJSON(w, http.StatusConflict, problemJSON{Kind: string(wire.KindConflict), Detail: "this identity's key is at the gateway: its forms are posted to /do"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	api := c.clientOf(r, s.token)
	n := notice{Action: label, Target: id}
	refuse := func(err error) {
		n.Kind, n.Detail = "error", problemText(err)
		var p *wire.Problem
		if errors.As(err, &p) {
			n.Kind = string(p.Kind)
		}
		s.push(n)
		c.log.Info("console: refused", "op", name, "id", id, "account", s.account, "kind", n.Kind)
		writeProblem(w, err, true)
	}
	txID := url.PathEscape(r.PostFormValue("txId"))
	sig := wire.OfflineSignature{Signature: r.PostFormValue("signature")}
	switch step := r.PathValue("step"); step {
	case "proposal":
		var out wire.OfflineDigest
		req := wire.OfflineProposalRequest{Operation: name, ID: id, Body: json.RawMessage(r.PostFormValue("body"))}
		if err := post(ctx, api, "/v1/offline/proposals", req, &out); err != nil {
			refuse(err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case "endorse":
		var out wire.OfflineDigest
		if err := post(ctx, api, "/v1/offline/proposals/"+txID+"/endorse", sig, &out); err != nil {
			refuse(err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	case "submit":
		var res wire.SubmitResponse
		err := post(ctx, api, "/v1/offline/transactions/"+txID+"/submit", sig, &res)
		var p *wire.Problem
		switch {
		case err != nil && r.PostFormValue("retry") == "1" && errors.As(err, &p) && p.Kind == wire.KindConflict && p.Stage == "commit":
			writeProblem(w, err, false) // the browser signs a fresh proposal
		case err != nil:
			refuse(err)
		case res.Pending:
			n.Kind, n.Detail = "pending", res.Message
			s.push(n)
			writeJSON(w, http.StatusAccepted, res)
		default:
			if r.PostFormValue("final") == "1" {
				committed(&n, &res)
				s.push(n)
			}
			writeJSON(w, http.StatusOK, res)
		}
	default:
		writeJSON(w, http.StatusNotFound, problemJSON{Kind: string(wire.KindNotFound), Detail: "no signing step " + step})
	}
}

// post sends one request of the offline flow and decodes its answer (a 202 decodes too).
func post(ctx context.Context, api *client.Client, path string, body, out any) error {
	resp, err := api.Do(ctx, http.MethodPost, path, body, nil)
	if err != nil {
		return err
	}
	return resp.Decode(out)
}

// committed fills a notice with a committed write: its transaction and block, and what it
// changed as its event names it.
func committed(n *notice, res *wire.SubmitResponse) {
	n.OK, n.TxID, n.Block = true, res.TransactionID, res.BlockNumber
	ev, err := client.EventOf(res)
	if err != nil {
		return
	}
	if in := ev.Instruction; in != nil {
		// A maker's request (or its decision): the notice names the receivable and, while the
		// request waits for the approver, the instruction to confirm.
		n.Target = in.Target
		if in.Status == wire.InstructionOpen {
			n.Instruction = in.ID
		}
		return
	}
	if n.Target == "" && len(ev.Items) > 0 {
		n.Target = ev.Items[0].ID
	}
}
