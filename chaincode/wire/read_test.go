package wire

import "testing"

func TestViewer_FilterKeepsWhatTheCallerMayRead(t *testing.T) {
	ev := &Event{TxID: "t", Op: "Transfer", Reason: "r", Items: []EventItem{
		{ID: "R-1", Issuer: "CoreMSP/treasurer", Holder: "SupplierMSP/a", Parties: []string{"CoreMSP/treasurer", "SupplierMSP/a"}},
		{ID: "R-1.1", Issuer: "CoreMSP/treasurer", Holder: "SupplierMSP/a", PendingHolder: "SupplierMSP/b",
			Parties: []string{"CoreMSP/treasurer", "SupplierMSP/a", "SupplierMSP/b"}},
		{ID: "R-2", Issuer: "CoreMSP/treasurer", Holder: "Bank1MSP/officer", Bank: "Bank1MSP", TermsHash: "h"},
	}}
	tests := []struct {
		name string
		v    Viewer
		want []string
	}{
		{"the auditor reads all", Viewer{"AuditorMSP", "AuditorMSP/auditor", RoleAuditor}, []string{"R-1", "R-1.1", "R-2"}},
		{"the issuer's MSP", Viewer{"CoreMSP", "CoreMSP/deputy", RoleIssuer}, []string{"R-1", "R-1.1", "R-2"}},
		{"the holder", Viewer{"SupplierMSP", "SupplierMSP/a", RoleSupplier}, []string{"R-1", "R-1.1"}},
		{"the pending holder, only the piece offered", Viewer{"SupplierMSP", "SupplierMSP/b", RoleSupplier}, []string{"R-1.1"}},
		{"the bank of the decision", Viewer{"Bank1MSP", "Bank1MSP/other", RoleFinancier}, []string{"R-2"}},
		{"another bank: nothing", Viewer{"Bank2MSP", "Bank2MSP/officer", RoleFinancier}, nil},
		{"an admin of the supplier: nothing", Viewer{"SupplierMSP", "SupplierMSP/admin", RoleAdmin}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.v.Filter(ev)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("want nothing, got %+v", got.Items)
				}
				return
			}
			var ids []string
			for _, it := range got.Items {
				ids = append(ids, it.ID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("items %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("items %v, want %v", ids, tt.want)
				}
			}
			if (len(ids) == len(ev.Items)) != (got.Reason == "r") {
				t.Fatalf("the reason stays only with every item: %q", got.Reason)
			}
		})
	}
	if len(ev.Items) != 3 {
		t.Fatal("the event itself is not changed")
	}
}

func TestViewer_FilterAccountsAndGovernance(t *testing.T) {
	ev := &Event{Op: "OpenAccount", Items: []EventItem{}, Accounts: []*Account{{ID: "SupplierMSP/d"}}}
	if (Viewer{"SupplierMSP", "SupplierMSP/admin", RoleAdmin}).Filter(ev) == nil {
		t.Fatal("the organisation's admin reads its accounts")
	}
	if (Viewer{"SupplierMSP", "SupplierMSP/d", RoleSupplier}).Filter(ev) == nil {
		t.Fatal("an account reads itself")
	}
	if (Viewer{"Bank1MSP", "Bank1MSP/admin", RoleAdmin}).Filter(ev) != nil {
		t.Fatal("another organisation's admin does not")
	}
	reg := &Event{Op: "InitRegistry", Items: []EventItem{}, Orgs: []*Org{{MSPID: "CoreMSP"}}, Accounts: []*Account{{ID: "CoreMSP/admin"}}}
	got := (Viewer{"Bank1MSP", "Bank1MSP/officer", RoleFinancier}).Filter(reg)
	if got == nil || len(got.Orgs) != 1 || len(got.Accounts) != 0 {
		t.Fatalf("the registry is everyone's, the accounts are not: %+v", got)
	}
	cfg := &Event{Op: "ApproveProposal", Items: []EventItem{}, Proposal: &Proposal{ID: "P"}}
	if (Viewer{"Bank1MSP", "Bank1MSP/officer", RoleFinancier}).Filter(cfg) == nil {
		t.Fatal("proposals are everyone's")
	}
}

func TestViewer_FilterInstructionsAndLines(t *testing.T) {
	core := Viewer{MSPID: "CoreMSP", Account: "CoreMSP/approver", Role: RoleApprover}
	supplier := Viewer{MSPID: "SupplierMSP", Account: "SupplierMSP/a", Role: RoleSupplier}
	bank2 := Viewer{MSPID: "Bank2MSP", Account: "Bank2MSP/o", Role: RoleFinancier}
	request := &Event{Op: "Issue", Items: []EventItem{}, Instruction: &Instruction{ID: "I1", Maker: "CoreMSP/treasurer"}}
	if core.Filter(request) == nil || supplier.Filter(request) != nil {
		t.Fatal("a maker's request is its organisation's")
	}
	confirmed := &Event{Op: "ConfirmInstruction", Items: []EventItem{{ID: "R-1", Issuer: "CoreMSP/treasurer", PendingHolder: "SupplierMSP/a"}},
		Instruction: &Instruction{ID: "I1", Maker: "CoreMSP/treasurer"}}
	if got := supplier.Filter(confirmed); got == nil || got.Instruction != nil || len(got.Items) != 1 {
		t.Fatalf("the supplier reads the offer, not the instruction: %+v", got)
	}
	line := &Event{Op: "SetCreditLine", Items: []EventItem{}, Line: &CreditLine{Obligor: "CoreMSP", Bank: "Bank1MSP"}}
	if core.Filter(line) == nil || bank2.Filter(line) != nil || supplier.Filter(line) != nil {
		t.Fatal("a credit line is its obligor's and its bank's")
	}
}
