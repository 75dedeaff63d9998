package console

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/gateway/fabric/proposaltest"
)

// harness runs static/sign.js outside a page (a stub document) under Node: it signs a message
// 64 times and makes a CSR with a new non-extractable key, and runs checkProposal and
// checkTransaction on each case, printing what happened as JSON.
const harness = `
import fs from 'fs';
globalThis.document = { addEventListener() {} };
globalThis.window = globalThis;
eval(fs.readFileSync(process.argv[2], 'utf8'));
const { sign, csr, readProposal, checkProposal, checkTransaction } = window.recvSign;
const b64 = b => Buffer.from(b).toString('base64');
const unb64 = s => new Uint8Array(Buffer.from(s, 'base64'));
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
const out = { spki: b64(await crypto.subtle.exportKey('spki', keys.publicKey)), sigs: [], cases: [] };
let exported = 'exported';
try { await crypto.subtle.exportKey('pkcs8', keys.privateKey); } catch (e) { exported = e.name; }
out.pkcs8 = exported;
const msg = unb64(input.message);
for (let i = 0; i < 64; i++) out.sigs.push(b64(await sign(keys.privateKey, msg)));
out.csr = await csr(input.name, keys);
for (const c of input.cases) {
  try {
    const p = readProposal(unb64(c.proposal));
    await checkProposal(p, c.txId, c.op, c.id, c.body, c.rec);
    if (c.payload) await checkTransaction(p, c.txId, unb64(c.payload));
    out.cases.push('signed');
  } catch (e) {
    out.cases.push(e.message);
  }
}
console.log(JSON.stringify(out));
`

type jsCase struct {
	name     string
	Proposal []byte         `json:"proposal"`
	Payload  []byte         `json:"payload,omitempty"`
	TxID     string         `json:"txId"`
	Op       string         `json:"op"`
	ID       string         `json:"id"`
	Body     map[string]any `json:"body"`
	Rec      map[string]any `json:"rec"`
	want     string
}

func selfSigned(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestSignJS_SignaturesAreLowSDERAndOnlyTheApprovedWriteIsSigned runs the console's browser
// script under Node (skipped without it; the browser suite runs it in Chromium): its signatures
// of a message verify with ecdsa.VerifyASN1 and all have S <= n/2; its CSR parses, verifies and
// names the user; its private key does not export; and it signs a proposal and transaction only
// when they carry the form's function and arguments, the user's certificate, the id its nonce
// makes, the time, the channel, the private terms and the same header, naming what differs.
func TestSignJS_SignaturesAreLowSDERAndOnlyTheApprovedWriteIsSigned(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node: the browser suite (test/console) runs this script in Chromium")
	}
	cert, other := selfSigned(t, "web-user"), selfSigned(t, "someone")
	rec := map[string]any{"account": "SupplierMSP/web-user", "mspId": "SupplierMSP", "cert": cert}
	pinned := map[string]any{"account": "SupplierMSP/web-user", "mspId": "SupplierMSP", "cert": cert, "channel": "receivables", "chaincode": "receivables"}
	build := func(p proposaltest.Proposal) (string, []byte) {
		if p.Channel == "" {
			p.Channel = "receivables"
		}
		p.Chaincode, p.MSPID = "receivables", "SupplierMSP"
		if p.Cert == nil {
			p.Cert = []byte(cert)
		}
		txID, b, err := proposaltest.Proposal(p).Build()
		require.NoError(t, err)
		return txID, b
	}
	accept := proposaltest.Proposal{Function: "Accept", Args: []string{"R-1"}}
	txAccept, propAccept := build(accept)
	payloadAccept, err := proposaltest.Endorsed(propAccept, []byte(`{}`))
	require.NoError(t, err)
	_, propOther := build(proposaltest.Proposal{Function: "Accept", Args: []string{"R-1"}})
	payloadOther, err := proposaltest.Endorsed(propOther, []byte(`{}`))
	require.NoError(t, err)
	salt := strings.Repeat("ab", 32)
	decide := func(rate string) (string, []byte) {
		return build(proposaltest.Proposal{Function: "DecideFinancing", Args: []string{"R-1", "approved"},
			Transient: map[string][]byte{"rateBps": []byte(rate), "reason": nil, "salt": []byte(salt)}})
	}
	txDecide, propDecide := decide("500")
	txDecide4, propDecide4 := decide("400")
	txFin, propFin := build(proposaltest.Proposal{Function: "RequestFinancing", Args: []string{"R-1", "Bank2MSP"}})
	txReject, propReject := build(proposaltest.Proposal{Function: "Reject", Args: []string{"R-1", ""}})
	txWrongID, propWrongID := build(proposaltest.Proposal{Function: "Accept", Args: []string{"R-2"}})
	txCreator, propCreator := build(proposaltest.Proposal{Function: "Accept", Args: []string{"R-1"}, Cert: []byte(other)})
	txOld, propOld := build(proposaltest.Proposal{Function: "Accept", Args: []string{"R-1"}, Time: time.Now().Add(-10 * time.Minute)})
	txChan, propChan := build(proposaltest.Proposal{Function: "Accept", Args: []string{"R-1"}, Channel: "elsewhere"})

	cases := []jsCase{
		{name: "the form's accept", Proposal: propAccept, Payload: payloadAccept, TxID: txAccept, Op: "accept", ID: "R-1", Rec: rec, want: "signed"},
		{name: "another function", Proposal: propReject, TxID: txReject, Op: "accept", ID: "R-1", Rec: rec, want: `the function or arguments differs: the gateway asked to sign Reject("R-1", "") but you approved Accept("R-1")`},
		{name: "another receivable", Proposal: propWrongID, TxID: txWrongID, Op: "accept", ID: "R-1", Rec: rec, want: `Accept("R-2") but you approved Accept("R-1")`},
		{name: "another bank", Proposal: propFin, TxID: txFin, Op: "request-financing", ID: "R-1", Body: map[string]any{"bank": "Bank1MSP"}, Rec: rec, want: `RequestFinancing("R-1", "Bank2MSP") but you approved RequestFinancing("R-1", "Bank1MSP")`},
		{name: "another creator", Proposal: propCreator, TxID: txCreator, Op: "accept", ID: "R-1", Rec: rec, want: "the creator differs"},
		{name: "another announced id", Proposal: propAccept, TxID: txReject, Op: "accept", ID: "R-1", Rec: rec, want: "the transaction id differs"},
		{name: "an old proposal", Proposal: propOld, TxID: txOld, Op: "accept", ID: "R-1", Rec: rec, want: "the time differs"},
		{name: "another channel", Proposal: propChan, TxID: txChan, Op: "accept", ID: "R-1", Rec: pinned, want: "the channel differs"},
		{name: "the decision's private rate", Proposal: propDecide, TxID: txDecide, Op: "decide-financing", ID: "R-1", Body: map[string]any{"decision": "approved", "rateBps": 500}, Rec: rec, want: "signed"},
		{name: "another private rate", Proposal: propDecide4, TxID: txDecide4, Op: "decide-financing", ID: "R-1", Body: map[string]any{"decision": "approved", "rateBps": 500}, Rec: rec, want: `the private data differs: the gateway asked to sign ["rateBps=400","reason="]`},
		{name: "another proposal's transaction", Proposal: propAccept, Payload: payloadOther, TxID: txAccept, Op: "accept", ID: "R-1", Rec: rec, want: "the transaction header differs"},
	}
	for i := range cases {
		if cases[i].Body == nil {
			cases[i].Body = map[string]any{}
		}
	}
	message := []byte("the bytes of a proposal")
	in, err := json.Marshal(map[string]any{"name": "web-user", "message": message, "cases": cases})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "harness.mjs"), []byte(harness), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "input.json"), in, 0o600))
	script, err := filepath.Abs("static/sign.js")
	require.NoError(t, err)
	raw, err := exec.Command(node, filepath.Join(dir, "harness.mjs"), script, filepath.Join(dir, "input.json")).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("node: %s", ee.Stderr)
	}
	require.NoError(t, err)
	var out struct {
		SPKI  []byte   `json:"spki"`
		PKCS8 string   `json:"pkcs8"`
		Sigs  [][]byte `json:"sigs"`
		CSR   string   `json:"csr"`
		Cases []string `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &out))

	require.Contains(t, out.PKCS8, "InvalidAccess", "the private key does not export (Chromium: InvalidAccessError, Node: InvalidAccessException)")
	pub, err := x509.ParsePKIXPublicKey(out.SPKI)
	require.NoError(t, err)
	key := pub.(*ecdsa.PublicKey)
	sum := sha256.Sum256(message)
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	for _, sig := range out.Sigs {
		require.True(t, ecdsa.VerifyASN1(key, sum[:], sig), "a DER signature of the bytes' SHA-256")
		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(sig, &rs)
		require.NoError(t, err)
		require.Empty(t, rest)
		require.True(t, rs.S.Cmp(half) <= 0, "low S")
	}

	block, _ := pem.Decode([]byte(out.CSR))
	require.NotNil(t, block)
	require.Equal(t, "CERTIFICATE REQUEST", block.Type)
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	require.NoError(t, err)
	require.NoError(t, csr.CheckSignature())
	require.Equal(t, "web-user", csr.Subject.CommonName)
	require.True(t, key.Equal(csr.PublicKey), "the CSR carries the key's public half")

	require.Len(t, out.Cases, len(cases))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.want == "signed" {
				require.Equal(t, "signed", out.Cases[i])
				return
			}
			require.Contains(t, out.Cases[i], c.want)
			require.Contains(t, out.Cases[i], "differs", "a refusal names what differs")
		})
	}
}
