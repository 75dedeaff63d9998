package receivable

import "github.com/recv-ledger/recv/chaincode/wire"

// HardMaxTermDays is the longest term the chaincode ever accepts: one year, the hard limit of the
// 2025 PBOC supply-chain-finance rules. The configurable cap may only be lower.
const HardMaxTermDays = 365

// MaxClockSkewSeconds bounds the configurable clock skew: beyond an hour the check protects nothing.
const MaxClockSkewSeconds = 3600

// Config holds the channel settings the chaincode keeps on the ledger.
type Config = wire.Config

// DefaultConfig is in force until SetConfig is called.
func DefaultConfig() Config { return Config{MaxTermDays: 183, ClockSkewSeconds: 600} }

// ValidateConfig checks the bounds of every setting.
func ValidateConfig(c Config) error {
	if c.MaxTermDays < 1 || c.MaxTermDays > HardMaxTermDays {
		return Invalidf("maxTermDays %d is outside 1..%d", c.MaxTermDays, HardMaxTermDays)
	}
	if c.ClockSkewSeconds < 1 || c.ClockSkewSeconds > MaxClockSkewSeconds {
		return Invalidf("clockSkewSeconds %d is outside 1..%d", c.ClockSkewSeconds, MaxClockSkewSeconds)
	}
	return nil
}

// ApplyConfig returns current updated with the settings present in req, validated.
func ApplyConfig(current Config, req wire.ConfigRequest) (Config, error) {
	next := current
	if req.MaxTermDays != nil {
		next.MaxTermDays = *req.MaxTermDays
	}
	if req.ClockSkewSeconds != nil {
		next.ClockSkewSeconds = *req.ClockSkewSeconds
	}
	return next, ValidateConfig(next)
}
