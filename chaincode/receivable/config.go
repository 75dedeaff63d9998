package receivable

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// HardMaxTermDays is the longest term the chaincode ever accepts: one year, the hard limit of the
// 2025 PBOC supply-chain-finance rules. The configurable cap may only be lower.
const HardMaxTermDays = 365

// MaxClockSkewSeconds bounds the configurable clock skew: beyond an hour the check protects nothing.
const MaxClockSkewSeconds = 3600

// Config holds the channel settings the chaincode keeps on the ledger.
type Config struct {
	// MaxTermDays caps maturity, in days after the issue day (default 183, the rules' recommended 6 months).
	MaxTermDays int `json:"maxTermDays"`
	// ClockSkewSeconds is how far a transaction's timestamp may be from the endorsing peer's clock.
	ClockSkewSeconds int `json:"clockSkewSeconds"`
}

// DefaultConfig is in force until SetConfig is called.
func DefaultConfig() Config { return Config{MaxTermDays: 183, ClockSkewSeconds: 600} }

// Validate checks the bounds of every setting.
func (c Config) Validate() error {
	if c.MaxTermDays < 1 || c.MaxTermDays > HardMaxTermDays {
		return Invalidf("maxTermDays %d is outside 1..%d", c.MaxTermDays, HardMaxTermDays)
	}
	if c.ClockSkewSeconds < 1 || c.ClockSkewSeconds > MaxClockSkewSeconds {
		return Invalidf("clockSkewSeconds %d is outside 1..%d", c.ClockSkewSeconds, MaxClockSkewSeconds)
	}
	return nil
}

// ApplyConfigJSON returns current updated with the fields present in the JSON document, validated.
// Unknown fields are refused so a typo cannot pass silently.
func ApplyConfigJSON(current Config, doc string) (Config, error) {
	var upd struct {
		MaxTermDays      *int `json:"maxTermDays"`
		ClockSkewSeconds *int `json:"clockSkewSeconds"`
	}
	if err := decodeStrict(doc, &upd); err != nil {
		return Config{}, Invalidf("config: %v", err)
	}
	next := current
	if upd.MaxTermDays != nil {
		next.MaxTermDays = *upd.MaxTermDays
	}
	if upd.ClockSkewSeconds != nil {
		next.ClockSkewSeconds = *upd.ClockSkewSeconds
	}
	return next, next.Validate()
}

// decodeStrict decodes one JSON value, refusing unknown fields and trailing data.
func decodeStrict(doc string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
