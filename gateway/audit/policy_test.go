package audit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const testPolicy = "AND('CoreMSP.peer',OR('SupplierMSP.peer','Bank1MSP.peer','Bank2MSP.peer'))"

func TestPolicy_SatisfiedLikeFabricsSignaturePolicies(t *testing.T) {
	p := func(msp string) signer { return signer{msp: msp, isPeer: true} }
	client := func(msp string) signer { return signer{msp: msp} }
	cases := []struct {
		name, policy string
		endorsers    []signer
		want         bool
	}{
		{"core and a supplier", testPolicy, []signer{p("CoreMSP"), p("SupplierMSP")}, true},
		{"core and a bank, any order", testPolicy, []signer{p("Bank2MSP"), p("CoreMSP")}, true},
		{"core alone", testPolicy, []signer{p("CoreMSP")}, false},
		{"two holder-side peers", testPolicy, []signer{p("Bank1MSP"), p("SupplierMSP")}, false},
		{"a core client is not a peer", testPolicy, []signer{client("CoreMSP"), p("SupplierMSP")}, false},
		{"one endorsement counts once", "AND('CoreMSP.peer','CoreMSP.peer')", []signer{p("CoreMSP")}, false},
		{"member role takes a client", "OR('CoreMSP.member')", []signer{client("CoreMSP")}, true},
		{"OutOf 2 of 3", "OutOf(2,'A.peer','B.peer','C.peer')", []signer{p("C"), p("A")}, true},
		{"OutOf 2 of 3, one", "OutOf(2,'A.peer','B.peer','C.peer')", []signer{p("C")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := ParsePolicy(tc.policy)
			require.NoError(t, err)
			require.Equal(t, tc.want, pol.satisfiedBy(tc.endorsers))
		})
	}
}

func TestParsePolicy_RefusesWhatItCannotEvaluate(t *testing.T) {
	for _, s := range []string{"", "AND(", "AND('CoreMSP.peer'", "OR('CoreMSP')", "OR('CoreMSP.orderer')",
		"OutOf(3,'A.peer','B.peer')", "XOR('A.peer')", "OR('A.peer'))"} {
		_, err := ParsePolicy(s)
		require.Error(t, err, s)
	}
}
