package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
)

type listOptions struct {
	holder, issuer, bookmark string
	pageSize                 int
	all                      bool
}

// listPage is one page of ListByHolder or ListByIssuer.
type listPage struct {
	Items    []Receivable `json:"items"`
	Bookmark string       `json:"bookmark"`
	Count    int          `json:"count"`
}

func newListCommand(g *globals) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List receivables by holder or by issuer, a page at a time",
		Example: `  recv --as SupplierMSP/supplier-a list --holder SupplierMSP/supplier-a
  recv --as AuditorMSP/auditor list --issuer CoreMSP/treasurer --all -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (o.holder == "") == (o.issuer == "") {
				return usagef("give exactly one of --holder or --issuer")
			}
			q := url.Values{}
			if o.holder != "" {
				q.Set("holder", o.holder)
			} else {
				q.Set("issuer", o.issuer)
			}
			if o.pageSize > 0 {
				q.Set("pageSize", strconv.Itoa(o.pageSize))
			}
			all := listPage{}
			bookmark := o.bookmark
			for {
				if bookmark != "" {
					q.Set("bookmark", bookmark)
				}
				var page listPage
				var body raw
				if err := g.read(cmd, "/v1/receivables?"+q.Encode(), &body); err != nil {
					return err
				}
				if err := json.Unmarshal(body, &page); err != nil {
					return err
				}
				all.Items = append(all.Items, page.Items...)
				all.Bookmark = page.Bookmark
				if !o.all || page.Bookmark == "" || len(page.Items) == 0 {
					break
				}
				bookmark = page.Bookmark
			}
			all.Count = len(all.Items)
			return g.printer().Print(all, func(w io.Writer) {
				receivableTable(w, all.Items)
				if all.Bookmark != "" && !o.all {
					fmt.Fprintf(w, "\nmore: --bookmark %s\n", all.Bookmark)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.holder, "holder", "", "account MSP/user that holds them")
	f.StringVar(&o.issuer, "issuer", "", "account MSP/user that issued them")
	f.IntVar(&o.pageSize, "page-size", 0, "items per page, 1..100 (default 20)")
	f.StringVar(&o.bookmark, "bookmark", "", "continue after this bookmark")
	f.BoolVar(&o.all, "all", false, "follow bookmarks and print every page")
	return cmd
}
