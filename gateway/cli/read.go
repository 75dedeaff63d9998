package cli

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// read GETs path and decodes the answer into out (a *json.RawMessage keeps it verbatim).
func (g *globals) read(cmd *cobra.Command, path string, out any) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	return c.Do(ctx, http.MethodGet, path, nil, out, nil)
}

func pathID(id string) string { return url.PathEscape(id) }

// raw is a JSON answer kept verbatim for -o json.
type raw = json.RawMessage
