package cli

import (
	"encoding/json"
	"net/url"

	"github.com/spf13/cobra"
)

// query runs a read op of the wire contract and keeps its answer verbatim, for -o json; the
// table printers decode it into the wire types.
func (g *globals) query(cmd *cobra.Command, op string, pathValues []string, q url.Values) (json.RawMessage, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	var body json.RawMessage
	if err := c.Call(ctx, op, pathValues, q, nil, &body); err != nil {
		return nil, err
	}
	return body, nil
}
