package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/client"
)

type listOptions struct {
	holder, issuer string
	page           pageOptions
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
			return o.run(cmd, g)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.holder, "holder", "", "account MSP/user that holds them")
	f.StringVar(&o.issuer, "issuer", "", "account MSP/user that issued them")
	o.page.bind(cmd, "items")
	return cmd
}

func (o *listOptions) run(cmd *cobra.Command, g *globals) error {
	if err := checkPageSize(cmd, o.page.pageSize); err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	q := client.ListQuery{Holder: o.holder, Issuer: o.issuer, PageSize: o.page.pageSize, Bookmark: o.page.bookmark}
	all := wire.Page{Items: []*wire.Receivable{}}
	for {
		page, err := c.List(ctx, q)
		if err != nil {
			return err
		}
		all.Items = append(all.Items, page.Items...)
		all.Bookmark = page.Bookmark
		if !o.page.all || page.Bookmark == "" || len(page.Items) == 0 {
			break
		}
		q.Bookmark = page.Bookmark
	}
	all.Count = len(all.Items)
	return g.printer().Print(all, func(w io.Writer) {
		receivableTable(w, all.Items)
		if !o.page.all {
			moreLine(w, all.Bookmark)
		}
	})
}
