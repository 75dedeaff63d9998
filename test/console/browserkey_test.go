package console_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/gwtest"
)

// browserUser is a user registered for a browser key: its admin's gateway, the enrollment code
// and, once enrolled, its page and the public key its browser reported.
type browserUser struct {
	name, account, role, code string
	state                     string // the gateway's state folder
	p                         *person
	spki                      []byte
}

// registerBrowserUser has the organisation's admin register name as a browser-key user.
func registerBrowserUser(t *testing.T, admin, name, role string) *browserUser {
	t.Helper()
	resp := gwtest.As(t, nw.Dir, admin).Do(t, "POST", "/v1/admin/users", wire.NewUser{Name: name, Role: role, Browser: true})
	require.Equal(t, http.StatusCreated, resp.Status, string(resp.Body))
	var res wire.NewUserResult
	require.NoError(t, resp.Decode(&res))
	require.NotEmpty(t, res.EnrollmentCode)
	require.Empty(t, res.Token, "no token before the browser enrolls")
	loc, err := client.Locate(nw.Dir, admin)
	require.NoError(t, err)
	return &browserUser{name: name, account: res.Account, role: role, code: res.EnrollmentCode,
		state: filepath.Dir(filepath.Dir(loc.TokenFile))}
}

// enroll opens /enroll at the user's gateway in a browser context of its own, enrolls with the
// code (the browser makes the key and the CSR) and continues, signed in, to its first page.
func (u *browserUser) enroll(t *testing.T, c *chrome, base string) {
	t.Helper()
	u.p = &person{t: t, account: u.account, base: base, tab: c.tab(t)}
	u.p.nav("/enroll")
	u.p.fill("#enroll-name", u.name)
	u.p.fill("#enroll-code", u.code)
	u.p.click("#enroll-form button[type=submit]")
	u.p.waitFor("#enrolled")
	require.Equal(t, u.account, u.p.attr("#enrolled", "data-account"))
	require.Regexp(t, `^recv_`, u.p.text("#new-token"), "the token, shown once")
	var err error
	u.spki, err = base64.StdEncoding.DecodeString(u.p.attr("#enrolled", "data-spki"))
	require.NoError(t, err)
	u.p.click("#enrolled-next")
	u.p.waitFor("#me")
	require.Equal(t, u.account, u.p.attr("#me", "data-account"))
	u.p.waitFor(`body[data-signer=browser]`)
}

// sendForm adds to the page the form the console renders for a write on receivable id (its CSRF
// token, return path and idempotency key, the id, the fields) and sends it with its button, as
// the person would.
func (p *person) sendForm(action, label, id string, fields map[string]string) {
	p.t.Helper()
	all := map[string]string{"back": "/inbox", "key": gwtest.RandomHex(p.t), "id": id}
	for k, v := range fields {
		all[k] = v
	}
	spec, _ := json.Marshal(map[string]any{"action": action, "label": label, "fields": all})
	require.NoError(p.t, p.js(`(() => { const s = `+string(spec)+`;
		const f = document.createElement('form'); f.method = 'post'; f.action = s.action; f.id = 'sent-form';
		const add = (n, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); };
		add('csrf', document.querySelector('input[name=csrf]').value);
		for (const [k, v] of Object.entries(s.fields)) add(k, v);
		const b = document.createElement('button'); b.type = 'submit'; b.textContent = s.label; f.appendChild(b);
		document.querySelector('main').appendChild(f); })()`, nil))
	p.click("#sent-form button")
}

// keyRecord is a JavaScript expression of this page's key record of account in IndexedDB.
func keyRecord(account string) string {
	a, _ := json.Marshal(account)
	return `new Promise((ok, no) => { const o = indexedDB.open('recv-keys', 1); o.onerror = () => no(o.error);
		o.onsuccess = () => { const g = o.result.transaction('keys').objectStore('keys').get(` + string(a) + `);
		g.onsuccess = () => ok(g.result); g.onerror = () => no(g.error); }; })`
}

// TestConsole_BrowserKeysSignInTheBrowserAndTheGatewayHoldsNone: the supplier's and the bank's
// admins register a supplier clerk and a bank officer for browser keys; each enrolls in
// Chromium; the clerk accepts a receivable offered to it and asks Bank1 to finance it, the
// officer approves at 5.00%, every transaction signed in the browser. The private keys do not
// export from the browser; its signatures verify with the enrolled certificates and have low S;
// the gateways' wallet entries of the two hold a certificate of the key the browser reported and
// no key.pem, and no private key anywhere in the network folder matches their certificates; the
// enrollment codes are spent.
func TestConsole_BrowserKeysSignInTheBrowserAndTheGatewayHoldsNone(t *testing.T) {
	tag := gwtest.RandomHex(t)[:6]
	clerk := registerBrowserUser(t, "SupplierMSP/admin", "webclerk-"+tag, wire.RoleSupplier)
	banker := registerBrowserUser(t, "Bank1MSP/admin", "webofficer-"+tag, wire.RoleFinancier)
	c := browser(t)
	for _, u := range []*browserUser{clerk, banker} {
		loc, err := client.Locate(nw.Dir, map[*browserUser]string{clerk: supplierA, banker: officer}[u])
		require.NoError(t, err)
		u.enroll(t, c, loc.BaseURL)
	}

	// The core enterprise offers the clerk a receivable (over REST, confirmed by its approver).
	id := gwtest.UniqueID(t, "BK")
	gwtest.As(t, nw.Dir, treasurer).Made(t, gwtest.As(t, nw.Dir, approver), "issue", "", gwtest.IssueBody(t, id, clerk.account, "300000.00", gwtest.InDays(90)))
	gwtest.As(t, nw.Dir, auditor).Eventually(t, id, func(r wire.Receivable) bool { return r.Status == wire.StatusPending })
	a, bank := clerk.p, banker.p

	// The pages of a keyless identity cannot list what it holds (every query is a proposal signed
	// by its creator), so each write is the form its page renders for a receivable, sent from the
	// page: the browser reads, checks and signs the transactions, the console relays them.
	a.nav("/inbox")
	a.waitFor("body[data-signer=browser]")
	require.Contains(t, a.text("#offline"), "This browser holds your key")
	accepted := a.committed(a.submit(func() { a.sendForm("/do/accept", "签收 Accept", id, nil) }))
	require.Equal(t, id, accepted.Target)
	gwtest.As(t, nw.Dir, auditor).Eventually(t, id, func(r wire.Receivable) bool { return r.Status == wire.StatusActive })

	a.nav("/holdings")
	a.committed(a.submit(func() {
		a.sendForm("/do/request-financing", "融资 Request financing", id, map[string]string{"bank": "Bank1MSP"})
	}))
	a.shot("browser-key-supplier")

	bank.nav("/financing")
	approved := bank.committed(bank.submit(func() {
		bank.sendForm("/do/approve-financing", "放款 Approve", id, map[string]string{"rateBps": "500"})
	}))
	bank.shot("browser-key-bank")
	r := gwtest.As(t, nw.Dir, auditor).Eventually(t, id, func(r wire.Receivable) bool { return r.Holder == banker.account })
	require.Equal(t, wire.StatusActive, r.Status)
	require.NotNil(t, r.Financing)
	require.Equal(t, banker.account, r.Financing.Financier, "the officer who signed in the browser approved")
	require.Equal(t, clerk.account, r.Financing.RequestedBy)
	var hist []wire.HistoryEntry
	gwtest.As(t, nw.Dir, auditor).Read(t, "history", &hist, id)
	require.Contains(t, fmt.Sprint(hist), approved.TxID)

	for _, u := range []*browserUser{clerk, banker} {
		t.Run(u.name, func(t *testing.T) {
			checkBrowserKey(t, u)
		})
	}
}

// checkBrowserKey: the browser's key does not export and signs with low S what the certificate
// verifies; the wallet entry holds that certificate and no key; no private key of the network
// folder is the user's; the code is spent.
func checkBrowserKey(t *testing.T, u *browserUser) {
	var exported string
	require.NoError(t, u.p.js(`(async () => { const rec = await `+keyRecord(u.account)+`;
		try { await crypto.subtle.exportKey('pkcs8', rec.keys.privateKey); return 'exported'; }
		catch (e) { return rec.keys.privateKey.extractable + ' ' + e.name; } })()`, &exported))
	require.Equal(t, "false InvalidAccessError", exported, "the private key cannot leave the browser")

	entry := filepath.Join(u.state, "wallet", u.name)
	files, err := os.ReadDir(entry)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	sort.Strings(names)
	require.Equal(t, []string{"cert.pem", "role"}, names, "the wallet entry has no key.pem")
	raw, err := os.ReadFile(filepath.Join(entry, "cert.pem"))
	require.NoError(t, err)
	block, _ := pem.Decode(raw)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Equal(t, u.spki, cert.RawSubjectPublicKeyInfo, "the certificate is of the key the browser reported")
	pub := cert.PublicKey.(*ecdsa.PublicKey)

	// The browser's signatures (sign.js, the key from IndexedDB) verify with the certificate and
	// have a low S, as Fabric requires.
	message := []byte("recv " + u.name)
	var sigs []string
	msg, _ := json.Marshal(message)
	require.NoError(t, u.p.js(`(async () => { const rec = await `+keyRecord(u.account)+`;
		const m = Uint8Array.from(atob(`+string(msg)+`), c => c.charCodeAt(0)); const out = [];
		for (let i = 0; i < 32; i++) out.push(btoa(String.fromCharCode(...await window.recvSign.sign(rec.keys.privateKey, m))));
		return out; })()`, &sigs))
	require.Len(t, sigs, 32)
	sum := sha256.Sum256(message)
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for _, s := range sigs {
		der, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err)
		require.True(t, ecdsa.VerifyASN1(pub, sum[:], der))
		var rs struct{ R, S *big.Int }
		_, err = asn1.Unmarshal(der, &rs)
		require.NoError(t, err)
		require.True(t, rs.S.Cmp(half) <= 0, "low S")
	}

	// No private key in the network folder (every gateway's state, every MSP) is this user's.
	checked := 0
	require.NoError(t, filepath.WalkDir(nw.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err != nil || info.Size() > 64<<10 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(b, []byte("PRIVATE KEY")) {
			return err
		}
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				key, err = x509.ParseECPrivateKey(blk.Bytes)
			}
			if ec, ok := key.(*ecdsa.PrivateKey); err == nil && ok {
				checked++
				require.False(t, ec.PublicKey.Equal(pub), "%s holds the private key of %s", path, u.account)
			}
		}
		return nil
	}))
	require.Positive(t, checked, "the network folder's keys were read")
	t.Logf("%s: no key of its certificate among the %d private keys of the network folder", u.account, checked)

	codes, err := os.ReadFile(filepath.Join(u.state, "enrollment-codes.json"))
	require.NoError(t, err)
	require.NotContains(t, string(codes), u.name, "the code is spent")
}
