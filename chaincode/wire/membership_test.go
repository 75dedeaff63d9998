package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProposal_PendingNamesWhoseApprovalIsMissing(t *testing.T) {
	approvals := func(msps ...string) []Approval {
		var out []Approval
		for _, m := range msps {
			out = append(out, Approval{MSPID: m})
		}
		return out
	}
	tests := []struct {
		name string
		p    Proposal
		want string
	}{
		{"vetoes missing", Proposal{Status: ProposalOpen, Needed: 3, Waiting: []string{"Bank2MSP", "CoreMSP"}, Approvals: approvals("Bank1MSP")},
			"waiting for Bank2MSP, CoreMSP"},
		{"vetoes missing and the majority short of them", Proposal{Status: ProposalOpen, Needed: 4, Waiting: []string{"Bank2MSP"},
			Approvals: approvals("CoreMSP", "Bank1MSP")}, "waiting for Bank2MSP and 1 more organisation"},
		{"only the majority short", Proposal{Status: ProposalOpen, Needed: 4, Approvals: approvals("CoreMSP", "Bank1MSP")},
			"waiting for 2 more organisations"},
		{"applied", Proposal{Status: ProposalApplied, Needed: 3, Approvals: approvals("CoreMSP", "Bank1MSP", "Bank2MSP")}, ""},
		{"expired says nothing: it waits for nobody", Proposal{Status: ProposalExpired, Needed: 3, Waiting: []string{"CoreMSP"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.p.Pending())
		})
	}
}
