package api

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestOpenAPI_DocumentsEveryRouteAndNothingElse keeps docs/openapi.yaml and the code in step.
func TestOpenAPI_DocumentsEveryRouteAndNothingElse(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	require.NoError(t, err)
	var doc struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))

	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			require.Contains(t, op, "responses", "%s %s has responses", method, path)
		}
	}
	s, _ := testServer(t, &fakeLedger{})
	routes := s.Routes()
	sort.Strings(documented)
	sort.Strings(routes)
	require.Equal(t, routes, documented)
}
