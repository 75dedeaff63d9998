package contract_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/recv-ledger/recv/chaincode/wire"
)

func TestList_BookmarksArePrintableAndValidated(t *testing.T) {
	h := newHarness(t)
	for i := range 3 {
		h.active(fmt.Sprintf("R-%d", i), supA, "100")
	}
	var first wire.Page
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "ListByHolder", supA, "2", "")), &first))
	require.Len(t, first.Items, 2)
	require.NotEmpty(t, first.Bookmark)
	require.False(t, strings.ContainsFunc(first.Bookmark, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }),
		"bookmark %q must be printable", first.Bookmark)

	var next wire.Page
	require.NoError(t, json.Unmarshal([]byte(h.ok(supA, "ListByHolder", supA, "2", first.Bookmark)), &next))
	require.Len(t, next.Items, 1)
	require.Equal(t, "R-2", next.Items[0].ID)

	h.refuse(`invalid: bookmark "not*base64" is not one this list returned`, supA, "ListByHolder", supA, "2", "not*base64")
	h.refuse("invalid: bookmark ", auditor, "ListByHolder", supB, "2", first.Bookmark) // another list's bookmark
	h.refuse("invalid: bookmark ", auditor, "ListAccounts", "SupplierMSP", "2", first.Bookmark)
}
