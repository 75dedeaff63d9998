package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/api/apitest"
)

const (
	bankJSON    = `{"mspId":"Bank1MSP","kind":"bank","name":"First Bank Co., Ltd.","creditCode":"91310000MA1FL0000N","updatedAt":"2026-11-30T01:00:00Z","updatedBy":"CoreMSP/admin","lastTxId":"t1"}`
	accountJSON = `{"id":"SupplierMSP/supplier-b","mspId":"SupplierMSP","user":"supplier-b","role":"supplier","displayName":"Supplier B",
		"status":"FROZEN","reason":"court order","openedAt":"2026-11-01T00:00:00Z","updatedAt":"2026-11-30T02:00:00Z","updatedBy":"SupplierMSP/admin","lastTxId":"t2"}`
	proposalJSON = `{"id":"P-1","action":"set-config","config":{"maxTermDays":90,"clockSkewSeconds":300},"note":"shorter terms","proposer":"CoreMSP/admin",
		"createdAt":"2026-11-30T01:00:00Z","expiresAt":"2026-12-07T01:00:00Z","status":"APPLIED","needed":3,"vetoes":["Bank1MSP","Bank2MSP","CoreMSP"],
		"approvals":[{"mspId":"CoreMSP","account":"CoreMSP/admin","at":"2026-11-30T01:00:00Z","txId":"t3"},
		             {"mspId":"Bank1MSP","account":"Bank1MSP/admin","at":"2026-11-30T02:00:00Z","txId":"t4"},
		             {"mspId":"Bank2MSP","account":"Bank2MSP/admin","at":"2026-11-30T03:00:00Z","txId":"t5"}],
		"appliedAt":"2026-11-30T03:00:00Z","updatedAt":"2026-11-30T03:00:00Z","lastTxId":"t5"}`
	orgProposalJSON = `{"id":"P-2","action":"set-org","org":{"mspId":"Bank3MSP","kind":"bank","name":"Third Bank","creditCode":"91310000MA1FL0000N"},
		"proposer":"Bank1MSP/admin","createdAt":"2026-11-30T01:00:00Z","expiresAt":"2026-12-07T01:00:00Z","status":"OPEN","needed":3,
		"vetoes":["Bank1MSP","Bank2MSP","CoreMSP"],"waiting":["Bank2MSP","CoreMSP"],
		"approvals":[{"mspId":"Bank1MSP","account":"Bank1MSP/admin","at":"2026-11-30T01:00:00Z","txId":"t6"}],"updatedAt":"2026-11-30T01:00:00Z","lastTxId":"t6"}`
)

func TestMembershipQueries_PrintTablesAndVerbatimJSON(t *testing.T) {
	led := &apitest.Ledger{Answers: map[string]apitest.Answer{
		"ListOrgs":      {Payload: []byte(`{"orgs":[{"mspId":"CoreMSP","kind":"core","name":"Core Enterprise","creditCode":"91110000100000000R"},` + bankJSON + `]}`)},
		"GetOrg":        {Payload: []byte(bankJSON)},
		"GetAccount":    {Payload: []byte(accountJSON)},
		"ListAccounts":  {Payload: []byte(`{"items":[` + accountJSON + `],"bookmark":"b2","count":1}`)},
		"GetProposal":   {Payload: []byte(proposalJSON)},
		"ListProposals": {Payload: []byte(`{"items":[` + proposalJSON + `,` + orgProposalJSON + `],"bookmark":"","count":2}`)},
	}}
	g := apitest.Start(t, led, nil)
	tests := []struct {
		args []string
		want []string
		tx   string
		call []string
	}{
		{[]string{"org", "list"}, []string{"MSP       KIND  CREDIT CODE         NAME", "CoreMSP   core  91110000100000000R  Core Enterprise", "Bank1MSP  bank  91310000MA1FL0000N  First Bank Co., Ltd."}, "ListOrgs", nil},
		{[]string{"org", "show", "Bank1MSP"}, []string{"kind:         bank", "roles:        financier, admin", "credit code:  91310000MA1FL0000N", "updated:      2026-11-30T01:00:00Z by CoreMSP/admin (tx t1)"}, "GetOrg", []string{"Bank1MSP"}},
		{[]string{"account", "show", "SupplierMSP/supplier-b"}, []string{"account:  SupplierMSP/supplier-b", "status:   FROZEN", "name:     Supplier B", "reason:   court order", "last tx:  t2"}, "GetAccount", []string{"SupplierMSP/supplier-b"}},
		{[]string{"account", "list", "SupplierMSP", "--page-size", "5"}, []string{"SupplierMSP/supplier-b  supplier  FROZEN  court order  Supplier B", "more: --bookmark b2"}, "ListAccounts", []string{"SupplierMSP", "5", ""}},
		{[]string{"proposal", "show", "P-1"}, []string{"change:     maxTermDays=90 clockSkewSeconds=300", "status:     APPLIED", "approvals:  3 of 3 needed", "vetoes:     Bank1MSP, Bank2MSP, CoreMSP (each must approve)", "applied:    2026-11-30T03:00:00Z", "Bank2MSP     Bank2MSP/admin  2026-11-30T03:00:00Z  t5"}, "GetProposal", []string{"P-1"}},
		{[]string{"proposal", "list"}, []string{"P-1  set-config  APPLIED  3/3", "P-2  set-org     OPEN     1/3        Bank2MSP, CoreMSP  2026-12-07T01:00:00Z  Bank3MSP as bank: Third Bank (91310000MA1FL0000N)"}, "ListProposals", []string{"20", ""}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			requirePrints(t, g, "admin", tt.args, tt.want)
			last := led.Recorded()[len(led.Recorded())-1]
			require.Equal(t, tt.tx, last.Tx)
			if tt.call != nil {
				require.Equal(t, tt.call, last.Args)
			}
		})
	}

	code, out, _ := recv(t, g, "admin", "proposal", "show", "P-1", "-o", "json")
	require.Equal(t, wire.ExitOK, code)
	require.JSONEq(t, proposalJSON, out, "a query's JSON is the ledger's, verbatim")
	code, out, _ = recv(t, g, "admin", "account", "list", "SupplierMSP", "-o", "json")
	require.Equal(t, wire.ExitOK, code)
	var page struct {
		Items    []wire.Account `json:"items"`
		Bookmark string         `json:"bookmark"`
		Count    int            `json:"count"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &page))
	require.Equal(t, 1, page.Count)
	require.Equal(t, "b2", page.Bookmark)
	require.Equal(t, wire.AccountFrozen, page.Items[0].Status)
}

func TestMembershipWrites_ShowWhatTheTransactionChanged(t *testing.T) {
	led := &apitest.Ledger{Answers: map[string]apitest.Answer{
		"CreateProposal":    {Payload: []byte(`{"txId":"tx-CreateProposal","op":"CreateProposal","items":[],"proposal":` + orgProposalJSON + `}`)},
		"FreezeAccount":     {Payload: []byte(`{"txId":"tx-FreezeAccount","op":"FreezeAccount","items":[],"reason":"court order","accounts":[` + accountJSON + `]}`)},
		"ApproveProposal":   {Payload: []byte(`{"txId":"tx-ApproveProposal","op":"ApproveProposal","items":[],"proposal":` + orgProposalJSON + `,"orgs":[` + bankJSON + `]}`)},
		"WithdrawFinancing": {Payload: []byte(`{"txId":"tx-WithdrawFinancing","op":"WithdrawFinancing","items":[{"id":"R-1","status":"ACTIVE","amount":"1.00","holder":"S/a"}]}`)},
		"InitRegistry":      {Payload: []byte(`{"txId":"tx-InitRegistry","op":"InitRegistry","items":[],"orgs":[` + bankJSON + `]}`)},
	}}
	g := apitest.Start(t, led, nil)
	tests := []struct {
		user string
		args []string
		want []string
		call apitest.Call
	}{
		{"admin", []string{"proposal", "create", "--id", "P-2", "--add-org", "Bank3MSP", "--kind", "bank", "--name", "Third Bank", "--credit-code", "91310000MA1FL0000N"},
			[]string{"committed:  tx tx-CreateProposal in block 5", "change:     Bank3MSP as bank: Third Bank", "approvals:  1 of 3 needed"},
			apitest.Call{Caller: "admin", Tx: "CreateProposal", Args: []string{`{"id":"P-2","action":"set-org","org":{"mspId":"Bank3MSP","kind":"bank","name":"Third Bank","creditCode":"91310000MA1FL0000N"}}`}}},
		{"admin", []string{"account", "freeze", "SupplierMSP/supplier-b", "--reason", "court order"},
			[]string{"committed:  tx tx-FreezeAccount in block 5", "SupplierMSP/supplier-b  supplier  FROZEN"},
			apitest.Call{Caller: "admin", Tx: "FreezeAccount", Args: []string{"SupplierMSP/supplier-b", "court order"}}},
		{"admin", []string{"proposal", "approve", "P-2", "--idempotency-key", "k-7"},
			[]string{"committed:  tx tx-ApproveProposal in block 5", "status:     OPEN, waiting for Bank2MSP, CoreMSP"},
			apitest.Call{Caller: "admin", Tx: "ApproveProposal", Args: []string{"P-2"}}},
		{"supplier-a", []string{"finance", "withdraw", "R-1"},
			[]string{"committed:  tx tx-WithdrawFinancing in block 5", "R-1  ACTIVE  1.00    S/a"},
			apitest.Call{Caller: "supplier-a", Tx: "WithdrawFinancing", Args: []string{"R-1"}}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			requirePrints(t, g, tt.user, tt.args, tt.want)
			require.Equal(t, tt.call, led.Recorded()[len(led.Recorded())-1])
		})
	}

	var buf strings.Builder
	require.NoError(t, tablePrinter{w: &buf}.Print(nil, func(w io.Writer) {
		printResult(w, json.RawMessage(`{"txId":"t","op":"InitRegistry","items":[],"orgs":[`+bankJSON+`]}`))
	}))
	require.Contains(t, buf.String(), "Bank1MSP  bank  91310000MA1FL0000N  First Bank Co., Ltd.")
	buf.Reset()
	printResult(&buf, json.RawMessage(`{"txId":"t","op":"X","items":[]}`))
	require.Contains(t, buf.String(), `result:`)
}

func TestMembershipCommands_RefuseBadInputBeforeSending(t *testing.T) {
	for _, args := range [][]string{
		{"account", "open", "x"},
		{"account", "show", "supplier-b"},
		{"account", "show", "SupplierMSP/"},
		{"account", "freeze", "SupplierMSP/supplier-b"},
		{"account", "close", "SupplierMSP/supplier-b", "--reason", " "},
		{"account", "unfreeze", "SupplierMSP/a/b"},
		{"account", "list"},
		{"org", "show"},
		{"proposal", "create", "--set", "maxTermDays=90"},
		{"proposal", "create", "--id", "P-1"},
		{"proposal", "create", "--id", "P-1", "--set", "maxTermDays=90", "--add-org", "Bank3MSP"},
		{"proposal", "create", "--id", "P-1", "--set", "maxTermDays"},
		{"proposal", "create", "--id", "P-1", "--set", "maxTermDays=-1"},
		{"proposal", "create", "--id", "P-1", "--set", "maxTermDays=ninety"},
		{"proposal", "create", "--id", "P-1", "--set", "godMode=1"},
		{"proposal", "create", "--id", "P-1", "--set", "maxTermDays=90", "--kind", "bank"},
		{"proposal", "create", "--id", "P-1", "--add-org", "Bank3MSP", "--kind", "central", "--name", "n", "--credit-code", "c"},
		{"proposal", "create", "--id", "P-1", "--add-org", "Bank3MSP", "--kind", "bank"},
		{"proposal", "approve"},
		{"finance", "withdraw"},
		{"config", "set", "--max-term-days", "90"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			f := &fakeGateway{}
			code, _, _ := run(t, f, args...)
			require.Equal(t, wire.ExitInvalid, code)
			require.Empty(t, f.requests, "bad input sends nothing")
		})
	}
}

func TestConfigSet_PointsToAProposal(t *testing.T) {
	f := &fakeGateway{}
	code, _, stderr := run(t, f, "config", "set", "--max-term-days", "90")
	require.Equal(t, wire.ExitInvalid, code)
	require.Contains(t, stderr, "recv proposal create --id ID --set maxTermDays=90")
	require.Contains(t, stderr, "recv proposal approve ID")
}

func TestPagedLists_FollowBookmarks(t *testing.T) {
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RequestURI())
		switch {
		case r.URL.Path == "/v1/proposals":
			_, _ = io.WriteString(w, `{"items":[`+proposalJSON+`],"bookmark":"","count":1}`)
		case r.URL.Query().Get("bookmark") == "":
			_, _ = io.WriteString(w, `{"items":[`+accountJSON+`],"bookmark":"b1","count":1}`)
		default:
			_, _ = io.WriteString(w, `{"items":[{"id":"SupplierMSP/supplier-c","status":"OPEN"}],"bookmark":"","count":1}`)
		}
	}))
	defer srv.Close()
	var out strings.Builder
	code := Execute([]string{"--gateway", srv.URL, "account", "list", "SupplierMSP", "--all", "-o", "json"}, &out, io.Discard)
	require.Equal(t, wire.ExitOK, code)
	require.Equal(t, []string{"/v1/orgs/SupplierMSP/accounts", "/v1/orgs/SupplierMSP/accounts?bookmark=b1"}, queries)
	require.Contains(t, out.String(), `"count": 2`)
	require.Contains(t, out.String(), `"bookmark": ""`)

	out.Reset()
	code = Execute([]string{"--gateway", srv.URL, "proposal", "list", "--bookmark", "x", "--all"}, &out, io.Discard)
	require.Equal(t, wire.ExitOK, code)
	require.Contains(t, out.String(), "P-1  set-config  APPLIED")
	require.NotContains(t, out.String(), "more:")
}

func TestAccountFreeze_SignWithNamesTheAccountAsMSPUser(t *testing.T) {
	_, certPEM, keyFile := signingKey(t)
	led := &apitest.Ledger{OfflineCerts: map[string][]byte{"admin": certPEM}}
	g := apitest.Start(t, led, nil)

	code, out, stderr := recv(t, g, "admin", "account", "freeze", "SupplierMSP/supplier-b", "--reason", "court order", "--sign-with", keyFile)
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Regexp(t, `committed:  tx [0-9a-f]{64} in block 6`, out)
	require.Equal(t, apitest.Call{Caller: "admin", Tx: "prepare:FreezeAccount", Args: []string{"SupplierMSP/supplier-b", "court order"}}, led.Recorded()[0])

	code, _, stderr = recv(t, g, "admin", "proposal", "create", "--id", "P-3", "--set", "proposalTtlHours=72", "--sign-with", keyFile)
	require.Equal(t, wire.ExitOK, code, stderr)
	require.Equal(t, apitest.Call{Caller: "admin", Tx: "prepare:CreateProposal", Args: []string{`{"id":"P-3","action":"set-config","config":{"proposalTtlHours":72}}`}}, led.Recorded()[3])
}
