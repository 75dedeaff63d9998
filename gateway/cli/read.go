package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

// query runs a read op of the wire contract and keeps its answer verbatim, for -o json; the
// table printers decode it into the wire types.
func (g *globals) query(cmd *cobra.Command, op string, pathValues []string, q url.Values) (json.RawMessage, error) {
	var body json.RawMessage
	if err := g.call(cmd, func(ctx context.Context, c *client.Client) error {
		return c.Call(ctx, op, pathValues, q, nil, &body)
	}); err != nil {
		return nil, err
	}
	return body, nil
}

// show runs a read op and prints its answer: verbatim with -o json, else decoded into a T for
// table.
func show[T any](g *globals, cmd *cobra.Command, op string, pathValues []string, table func(io.Writer, *T)) error {
	body, err := g.query(cmd, op, pathValues, nil)
	if err != nil {
		return err
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return g.printer().Print(body, func(w io.Writer) { table(w, &v) })
}

// pageOptions are the options of a paged list (accounts, proposals).
type pageOptions struct {
	pageSize int
	bookmark string
	all      bool
}

func (o *pageOptions) bind(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.IntVar(&o.pageSize, "page-size", 0, what+" per page, 1..100 (default 20)")
	f.StringVar(&o.bookmark, "bookmark", "", "continue after this bookmark")
	f.BoolVar(&o.all, "all", false, "follow bookmarks and print every page")
}

// checkPageSize refuses a --page-size given outside 1..wire.MaxPageSize, rather than letting 0 or
// a negative number silently mean the default.
func checkPageSize(cmd *cobra.Command, n int) error {
	if cmd.Flags().Changed("page-size") && (n < 1 || n > wire.MaxPageSize) {
		return usagef("--page-size must be 1..%d, got %d", wire.MaxPageSize, n)
	}
	return nil
}

// rawPage is one page, or all pages, of a list whose items are kept verbatim for -o json.
type rawPage struct {
	Items    json.RawMessage `json:"items"`
	Bookmark string          `json:"bookmark"`
	Count    int             `json:"count"`
}

// pages reads one page of a paged list op (wire.AccountPage, wire.ProposalPage) or, with all,
// every page after bookmark.
func (g *globals) pages(cmd *cobra.Command, op string, pathValues []string, o *pageOptions) (*rawPage, error) {
	if err := checkPageSize(cmd, o.pageSize); err != nil {
		return nil, err
	}
	var items []json.RawMessage
	bookmark := o.bookmark
	for {
		q := url.Values{}
		if o.pageSize > 0 {
			q.Set("pageSize", strconv.Itoa(o.pageSize))
		}
		if bookmark != "" {
			q.Set("bookmark", bookmark)
		}
		body, err := g.query(cmd, op, pathValues, q)
		if err != nil {
			return nil, err
		}
		var page struct {
			Items    []json.RawMessage `json:"items"`
			Bookmark string            `json:"bookmark"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		bookmark = page.Bookmark
		if !o.all || bookmark == "" || len(page.Items) == 0 {
			break
		}
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	return &rawPage{Items: raw, Bookmark: bookmark, Count: len(items)}, nil
}

// showPages reads a paged list op as pages does and prints it: verbatim with -o json, else its
// items decoded into Ts for table, with the bookmark that continues the list.
func showPages[T any](g *globals, cmd *cobra.Command, op string, pathValues []string, o *pageOptions, table func(w io.Writer, items []T, bookmark string)) error {
	page, err := g.pages(cmd, op, pathValues, o)
	if err != nil {
		return err
	}
	var items []T
	if err := json.Unmarshal(page.Items, &items); err != nil {
		return err
	}
	return g.printer().Print(page, func(w io.Writer) { table(w, items, page.Bookmark) })
}

// moreLine tells how to read the page after bookmark, if there is one.
func moreLine(w io.Writer, bookmark string) {
	if bookmark != "" {
		fmt.Fprintf(w, "\nmore: --bookmark %s\n", bookmark)
	}
}
