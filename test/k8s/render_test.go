// Package k8s validates the Kubernetes manifests of network/k8s without a cluster: every overlay is
// built with kustomize's own library (plain kustomization semantics) and every document it yields
// is decoded strictly into the Kubernetes API's Go types, unknown and duplicate fields refused;
// then the checks of check_test.go hold the rules that make a manifest wrong even when it decodes.
// It needs no network and runs with the unit tests (scripts/test.sh unit).
package k8s

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// repoRoot is the repository's top folder (this file is test/k8s/render_test.go).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// k8sDir is network/k8s.
func k8sDir(t testing.TB) string { return filepath.Join(repoRoot(t), "network", "k8s") }

// build runs kustomize on the kustomization in dir, as `kubectl apply -k dir` would.
func build(dir string) ([]byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	return m.AsYaml()
}

// strictDecoder decodes YAML into the API's types of the kinds the manifests may hold, refusing
// unknown and duplicate fields (the serializer's strict mode).
func strictDecoder() *kjson.Serializer {
	scheme := k8sruntime.NewScheme()
	for _, add := range []func(*k8sruntime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}

// decode splits a multi-document YAML stream and decodes each document strictly. Any strict
// decoding error (an unknown field, a duplicate field, a wrong type) is an error here, never a
// warning.
func decode(data []byte) ([]k8sruntime.Object, error) {
	dec := strictDecoder()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []k8sruntime.Object
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			what := "?"
			if gvk != nil {
				what = gvk.Kind
			}
			return nil, fmt.Errorf("document %d (%s): %w", i, what, err)
		}
		objs = append(objs, obj)
	}
}

// load builds an overlay and decodes it.
func load(t testing.TB, overlay string) ([]byte, []k8sruntime.Object) {
	t.Helper()
	y, err := build(filepath.Join(k8sDir(t), "overlays", overlay))
	require.NoError(t, err)
	objs, err := decode(y)
	require.NoError(t, err)
	return y, objs
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
