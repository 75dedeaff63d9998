package receivable

import "github.com/recv-ledger/recv/chaincode/wire"

// HardMaxTermDays is the longest term the chaincode ever accepts: one year, the hard limit of the
// 2025 PBOC supply-chain-finance rules. The configurable cap may only be lower.
const HardMaxTermDays = 365

// MaxClockSkewSeconds bounds the configurable clock skew: beyond an hour the check protects nothing.
const MaxClockSkewSeconds = 3600

// MaxProposalTTLHours bounds how long a proposal may wait for its majority: 30 days.
const MaxProposalTTLHours = 720

// MaxGraceDays bounds the grace period after maturity before a piece may be marked overdue.
const MaxGraceDays = 30

// DefaultConfig is in force until the registry is seeded with other settings or a proposal
// changes them.
func DefaultConfig() wire.Config {
	return wire.Config{MaxTermDays: 183, ClockSkewSeconds: 600, ProposalTTLHours: 168, InstructionTTLHours: 24, GraceDays: 3}
}

// ValidateConfig checks the bounds of every setting.
func ValidateConfig(c wire.Config) error {
	if c.MaxTermDays < 1 || c.MaxTermDays > HardMaxTermDays {
		return Invalidf("maxTermDays %d is outside 1..%d", c.MaxTermDays, HardMaxTermDays)
	}
	if c.ClockSkewSeconds < 1 || c.ClockSkewSeconds > MaxClockSkewSeconds {
		return Invalidf("clockSkewSeconds %d is outside 1..%d", c.ClockSkewSeconds, MaxClockSkewSeconds)
	}
	if c.ProposalTTLHours < 1 || c.ProposalTTLHours > MaxProposalTTLHours {
		return Invalidf("proposalTtlHours %d is outside 1..%d", c.ProposalTTLHours, MaxProposalTTLHours)
	}
	if c.InstructionTTLHours < 1 || c.InstructionTTLHours > MaxProposalTTLHours {
		return Invalidf("instructionTtlHours %d is outside 1..%d", c.InstructionTTLHours, MaxProposalTTLHours)
	}
	if c.GraceDays < 1 || c.GraceDays > MaxGraceDays {
		return Invalidf("graceDays %d is outside 1..%d", c.GraceDays, MaxGraceDays)
	}
	return nil
}

// ApplyConfig returns current updated with the settings req names (non-zero), validated. A request
// that names no setting is refused, so an empty proposal cannot pass for a change.
func ApplyConfig(current wire.Config, req wire.ConfigRequest) (wire.Config, error) {
	if req == (wire.ConfigRequest{}) {
		return wire.Config{}, Invalidf("config names no setting to change (maxTermDays, clockSkewSeconds, proposalTtlHours, instructionTtlHours, graceDays)")
	}
	next := current
	for _, s := range []struct {
		to *int
		v  int
	}{
		{&next.MaxTermDays, req.MaxTermDays}, {&next.ClockSkewSeconds, req.ClockSkewSeconds}, {&next.ProposalTTLHours, req.ProposalTTLHours},
		{&next.InstructionTTLHours, req.InstructionTTLHours}, {&next.GraceDays, req.GraceDays},
	} {
		if s.v != 0 {
			*s.to = s.v
		}
	}
	return next, ValidateConfig(next)
}
