package receivable

import (
	"regexp"
	"strings"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Caller is the identity behind a transaction, from its certificate.
type Caller struct {
	MSPID string
	ID    string
	Role  string
}

// Account returns MSPID/enrollmentID.
func (c Caller) Account() string { return wire.AccountID(c.MSPID, c.ID) }

// Viewer is the caller as the read rules see it.
func (c Caller) Viewer() wire.Viewer {
	return wire.Viewer{MSPID: c.MSPID, Account: c.Account(), Role: c.Role}
}

var (
	rootIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	mspPattern    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	hashPattern   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// maxIDLen bounds derived ids (children add ".n" at each split).
const maxIDLen = 200

// ValidateAccount checks the MSPID/enrollmentID form of an account named in arguments.
func ValidateAccount(field, account string) error {
	msp, id, ok := wire.SplitAccount(account)
	if !ok || !mspPattern.MatchString(msp) || id == "" || len(id) > 128 || strings.Contains(id, "/") {
		return Invalidf("%s %.80q is not an account MSPID/enrollmentID", field, account)
	}
	for _, c := range id {
		if c <= ' ' || c == 0x7f || c == '\uFFFD' {
			return Invalidf("%s %.80q is not an account MSPID/enrollmentID", field, account)
		}
	}
	return nil
}

// ValidateMSPID checks an MSP ID named in arguments.
func ValidateMSPID(field, msp string) error {
	if !mspPattern.MatchString(msp) {
		return Invalidf("%s %.80q is not an MSP ID", field, msp)
	}
	return nil
}

// ValidateID checks a receivable id named in arguments: a root id, or a root id followed by ".n"
// segments.
func ValidateID(field, id string) error {
	root, rest, _ := strings.Cut(id, ".")
	if len(id) > maxIDLen || !rootIDPattern.MatchString(root) {
		return Invalidf("%s %.80q is not a receivable id", field, id)
	}
	if rest == "" && strings.HasSuffix(id, ".") {
		return Invalidf("%s %.80q is not a receivable id", field, id)
	}
	for seg := range strings.SplitSeq(rest, ".") {
		if rest == "" {
			break
		}
		if seg == "" || seg[0] == '0' || len(seg) > 3 || strings.Trim(seg, "0123456789") != "" {
			return Invalidf("%s %.80q is not a receivable id", field, id)
		}
	}
	return nil
}
