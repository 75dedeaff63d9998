package api

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"
)

// TestOpenAPI_TheDescriptionValidates: docs/openapi.yaml is a valid OpenAPI 3 document for a
// validator an integrator's code generator would use (kin-openapi), with every reference resolved.
func TestOpenAPI_TheDescriptionValidates(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../../docs/openapi.yaml")
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
}
