package contract

import (
	"encoding/base64"
	"strings"

	"github.com/recv-ledger/recv/chaincode/receivable"
)

// Bookmarks are the peer's keys of the next page (composite keys hold NUL bytes), so they leave
// the chaincode base64url-encoded: printable, safe on a command line and in a URL, and opaque. A
// bookmark that does not decode, or that points outside the list it is given to, is refused
// instead of quietly answering an empty page.

func encodeBookmark(raw string) string {
	if raw == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeBookmark returns the peer's key behind bookmark, which must lie in the list under prefix.
func decodeBookmark(bookmark, prefix string) (string, error) {
	if bookmark == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(bookmark)
	if err != nil || !strings.HasPrefix(string(raw), prefix) {
		return "", receivable.Invalidf("bookmark %.80q is not one this list returned; start without it", bookmark)
	}
	return string(raw), nil
}
