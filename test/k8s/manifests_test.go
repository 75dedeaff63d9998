package k8s

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// org is one overlay: an organisation of the project (scripts/lib/net-common.sh: MSP, ORG_INDEX).
type org struct {
	name, msp string
	index     int
	ordering  bool
}

var orgs = []org{
	{name: "core", msp: "CoreMSP", index: 0},
	{name: "supplier", msp: "SupplierMSP", index: 1},
	{name: "bank1", msp: "Bank1MSP", index: 2},
	{name: "bank2", msp: "Bank2MSP", index: 3},
	{name: "auditor", msp: "AuditorMSP", index: 4},
	{name: "orderer", msp: "OrdererMSP", index: 5, ordering: true},
}

func (o org) namespace() string { return "recv-" + o.name }

// servicePorts is what the organisation publishes, by Service and port name: the ports the
// project gives it (scripts/lib/net-common.sh, node_port), so that the channel configuration,
// the chaincode packages and the members' files say the same as the native and compose networks.
func (o org) servicePorts() map[string]map[string]int32 {
	i := int32(o.index)
	ports := map[string]map[string]int32{
		"ca": {"https": 7054 + 100*i, "operations": 9641 + i},
	}
	if o.ordering {
		for n := int32(0); n < 3; n++ {
			ports[fmt.Sprintf("orderer%d", n+1)] = map[string]int32{"grpc": 7050 + 10*n, "admin": 7053 + 10*n, "operations": 8443 + n}
		}
		return ports
	}
	ports["peer0"] = map[string]int32{"grpc": 7051 + 100*i, "operations": 9541 + i}
	ports["chaincode"] = map[string]int32{"grpc": 7900 + i}
	ports["gateway"] = map[string]int32{"https": 8801 + i}
	return ports
}

func docs(t testing.TB) documented {
	t.Helper()
	d := parseDocumented(readFile(t, filepath.Join(repoRoot(t), "docs", "operations.md")))
	require.NotEmpty(t, d.secrets, "docs/operations.md lists no Secret for the manifests")
	return d
}

func version(t testing.TB) string {
	return strings.TrimSpace(readFile(t, filepath.Join(repoRoot(t), "network", "docker", "VERSION")))
}

// expect: what must hold of the organisation's own overlay beyond the general rules.
func expect(objs []k8sruntime.Object, o org) []error {
	b := sortObjects(objs)
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	want := o.servicePorts()
	have := map[string]bool{}
	for _, s := range b.services {
		have[s.Name] = true
		w, ok := want[s.Name]
		if !ok {
			continue
		}
		for _, p := range s.Spec.Ports {
			if w[p.Name] != p.Port {
				fail("Service %s port %s is %d, the project's is %d", s.Name, p.Name, p.Port, w[p.Name])
			}
		}
		if len(s.Spec.Ports) != len(w) {
			fail("Service %s has %d ports, want %d", s.Name, len(s.Spec.Ports), len(w))
		}
	}
	for name := range want {
		if !have[name] {
			fail("no Service %s", name)
		}
	}
	kinds := map[string]workload{}
	for _, w := range b.workloads {
		kinds[w.template.Labels["app.kubernetes.io/name"]] = w
		if w.template.Labels["recv.local/org"] != o.name {
			fail("%s %s: pods not labelled recv.local/org=%s", w.kind, w.name, o.name)
		}
	}
	needed := []string{"ca", "peer", "chaincode", "gateway"}
	if o.ordering {
		needed = []string{"ca", "orderer"}
	}
	for _, k := range needed {
		if _, ok := kinds[k]; !ok {
			fail("no %s", k)
		}
	}
	if w, ok := kinds["orderer"]; ok && (w.replicas != 3 || w.kind != "StatefulSet") {
		fail("the orderers are a %s of %d, want a StatefulSet of 3 (Raft)", w.kind, w.replicas)
	}
	if w, ok := kinds["peer"]; ok {
		addr := fmt.Sprintf("peer0.%s.recv.local:%d", o.name, want["peer0"]["grpc"])
		env := envOf(w.template.Spec.Containers[0])
		for k, v := range map[string]string{
			"CORE_PEER_LOCALMSPID": o.msp, "CORE_PEER_ID": "peer0." + o.name + ".recv.local",
			"CORE_PEER_ADDRESS": addr, "CORE_PEER_GOSSIP_EXTERNALENDPOINT": addr, "CORE_PEER_GOSSIP_BOOTSTRAP": addr,
		} {
			if env[k] != v {
				fail("peer: %s is %q, want %q", k, env[k], v)
			}
		}
	}
	if w, ok := kinds["gateway"]; ok {
		args := w.template.Spec.Containers[0].Args
		if i := slices.Index(args, "--org"); i < 0 || i+1 >= len(args) || args[i+1] != o.msp {
			fail("gateway: not serving %s (args %v)", o.msp, args)
		}
	}
	return errs
}

func envOf(c corev1.Container) map[string]string {
	m := map[string]string{}
	for _, e := range c.Env {
		m[e.Name] = e.Value
	}
	return m
}

func TestOverlays_EveryOrganisationHasOne(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(k8sDir(t), "overlays"))
	require.NoError(t, err)
	var dirs, names []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	for _, o := range orgs {
		names = append(names, o.name)
	}
	require.ElementsMatch(t, names, dirs, "network/k8s/overlays: one per organisation, each tested here")
}

// TestOverlays_DecodeStrictlyAndHoldTheRules builds each overlay with kustomize, decodes every
// document strictly into the API's types and applies the rules of check and expect.
func TestOverlays_DecodeStrictlyAndHoldTheRules(t *testing.T) {
	d, v := docs(t), version(t)
	for _, o := range orgs {
		t.Run(o.name, func(t *testing.T) {
			_, objs := load(t, o.name)
			for _, err := range append(check(objs, o.namespace(), v, d), expect(objs, o)...) {
				t.Error(err)
			}
		})
	}
}

// TestManifests_CarryNoSecret: no file of network/k8s defines a Secret or holds a PEM block; the
// members make their Secrets from their own files.
func TestManifests_CarryNoSecret(t *testing.T) {
	kind := regexp.MustCompile(`(?m)^\s*kind:\s*["']?Secret["']?\s*$`)
	n := 0
	err := filepath.WalkDir(k8sDir(t), func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		n++
		text := readFile(t, path)
		rel, _ := filepath.Rel(k8sDir(t), path)
		require.False(t, kind.MatchString(text), "%s defines a Secret", rel)
		require.NotContains(t, text, "-----BEGIN", "%s holds PEM material", rel)
		require.NotRegexp(t, `(?m)^\s*(data|stringData):`, text, "%s holds data", rel)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, n, 10)
}

// TestDocs_ListEverySecretTheManifestsName: the docs' table is the member's checklist; a Secret
// listed there that no manifest uses is stale.
func TestDocs_ListEverySecretTheManifestsName(t *testing.T) {
	d := docs(t)
	used := map[string]bool{}
	for _, o := range orgs {
		_, objs := load(t, o.name)
		for _, w := range sortObjects(objs).workloads {
			for _, v := range w.template.Spec.Volumes {
				if v.Secret != nil {
					used[v.Secret.SecretName] = true
				}
				if v.Projected != nil {
					for _, s := range v.Projected.Sources {
						if s.Secret != nil {
							used[s.Secret.Name] = true
						}
					}
				}
			}
		}
	}
	for name := range d.secrets {
		require.True(t, used[name], "docs/operations.md lists Secret %s, which no manifest uses", name)
	}
}
