package k8s

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite network/k8s/base/*/fabric/ from the templates of network/native")

// setByOverlay is the value the peer's core.yaml holds where each organisation's overlay sets a
// CORE_PEER_* variable instead (Fabric reads the variable over the file).
const setByOverlay = "set-by-overlay"

// fabricConfigs are the Fabric configurations of the pods, made from the native templates with the
// pod's own paths and listeners (the same values for every organisation: what differs is in the
// overlays' variables). The mounts they name are those of base/member/peer.yaml and
// base/ordering/orderer.yaml.
var fabricConfigs = []struct {
	template, out string
	values        map[string]string
}{
	{
		template: "network/native/core.yaml",
		out:      "network/k8s/base/member/fabric/core.yaml",
		values: map[string]string{
			"PEER_ID":          setByOverlay, // CORE_PEER_ID
			"PEER_ADDRESS":     setByOverlay, // CORE_PEER_ADDRESS
			"GOSSIP_BOOTSTRAP": setByOverlay, // CORE_PEER_GOSSIP_BOOTSTRAP
			"GOSSIP_EXTERNAL":  setByOverlay, // CORE_PEER_GOSSIP_EXTERNALENDPOINT
			"MSP_ID":           setByOverlay, // CORE_PEER_LOCALMSPID
			"PEER_LISTEN":      "0.0.0.0:7051",
			// Chaincode runs as a service: the peer dials it; nothing dials the peer's chaincode
			// listener, which stays on the pod's loopback.
			"PEER_CC_LISTEN":  "127.0.0.1:7052",
			"PEER_CC_ADDRESS": "127.0.0.1:7052",
			"OPS_LISTEN":      "0.0.0.0:9541",
			"CLIENT_AUTH":     "true",
			"TLS_CERT":        "/etc/recv/node/tls/cert.pem",
			"TLS_KEY":         "/etc/recv/node/tls/key.pem",
			"TLS_ROOT_BUNDLE": "/etc/recv/public/tls-bundle.pem",
			"OPS_CLIENT_CA":   "/etc/recv/public/ops-client-ca.pem",
			"MSP_DIR":         "/etc/recv/node/msp",
			"PEER_DATA":       "/var/hyperledger/production",
			"BUILDER_DIR":     "/opt/recv/builder",
		},
	},
	{
		template: "network/native/orderer.yaml",
		out:      "network/k8s/base/ordering/fabric/orderer.yaml",
		values: map[string]string{
			"ORDERER_LISTEN_HOST": "0.0.0.0",
			"ORDERER_PORT":        "7050",
			"ADMIN_LISTEN":        "0.0.0.0:7053",
			"OPS_LISTEN":          "0.0.0.0:8443",
			"CLIENT_AUTH":         "true",
			"MSP_ID":              "OrdererMSP",
			"TLS_CERT":            "/etc/recv/node/tls/cert.pem",
			"TLS_KEY":             "/etc/recv/node/tls/key.pem",
			"TLS_CA":              "/etc/recv/node/tls/ca.pem",
			"TLS_ROOT_BUNDLE":     "/etc/recv/public/tls-bundle.pem",
			"OPS_CLIENT_CA":       "/etc/recv/public/ops-client-ca.pem",
			"MSP_DIR":             "/etc/recv/node/msp",
			"ORDERER_DATA":        "/var/hyperledger/production/orderer",
		},
	},
}

var placeholder = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

// renderTemplate fills the template's ${NAME}s that are not in comments, as scripts/lib's render
// (envsubst over a list of names) does; a name without a value is an error.
func renderTemplate(template, out string, values map[string]string) (string, error) {
	lines := strings.Split(template, "\n")
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		var missing error
		lines[i] = placeholder.ReplaceAllStringFunc(line, func(m string) string {
			v, ok := values[m[2:len(m)-1]]
			if !ok {
				missing = fmt.Errorf("line %d: no value for %s", i+1, m)
			}
			return v
		})
		if missing != nil {
			return "", missing
		}
	}
	header := fmt.Sprintf("# Made from %s by test/k8s (go test ./k8s -run TestFabricConfigs -update): edit the\n"+
		"# template or the values in test/k8s/fabricconfig_test.go, not this file.\n", "network/native/"+filepath.Base(out))
	return header + strings.Join(lines, "\n"), nil
}

// TestFabricConfigs_FollowTheNativeTemplates: the pods' core.yaml and orderer.yaml are the native
// templates rendered with the pods' values (so a setting that matters, such as vm.endpoint empty
// or the external builder, cannot drift), and they are valid YAML.
func TestFabricConfigs_FollowTheNativeTemplates(t *testing.T) {
	root := repoRoot(t)
	for _, c := range fabricConfigs {
		t.Run(filepath.Base(c.out), func(t *testing.T) {
			want, err := renderTemplate(readFile(t, filepath.Join(root, c.template)), c.out, c.values)
			require.NoError(t, err)
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(want), &doc))
			if *update {
				require.NoError(t, os.WriteFile(filepath.Join(root, c.out), []byte(want), 0o644))
			}
			require.Equal(t, want, readFile(t, filepath.Join(root, c.out)),
				"%s does not follow %s: go test ./k8s -run TestFabricConfigs -update", c.out, c.template)
		})
	}
}

// TestFabricConfigs_PeerRunsChaincodeAsAService: the settings DESIGN.md §7 found to matter, read
// from the generated file.
func TestFabricConfigs_PeerRunsChaincodeAsAService(t *testing.T) {
	var core struct {
		VM struct {
			Endpoint *string `json:"endpoint"`
		} `json:"vm"`
		Chaincode struct {
			ExternalBuilders []struct {
				Name string `json:"name"`
				Path string `json:"path"`
			} `json:"externalBuilders"`
		} `json:"chaincode"`
		Peer struct {
			TLS struct {
				RootCert struct {
					File string `json:"file"`
				} `json:"rootcert"`
			} `json:"tls"`
		} `json:"peer"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(readFile(t, filepath.Join(repoRoot(t), fabricConfigs[0].out))), &core))
	require.NotNil(t, core.VM.Endpoint)
	require.Empty(t, *core.VM.Endpoint, "vm.endpoint must be empty in the file: no Docker for the peer")
	require.Len(t, core.Chaincode.ExternalBuilders, 1)
	require.Equal(t, "/opt/recv/builder", core.Chaincode.ExternalBuilders[0].Path, "the builder's folder in the peer image")
	require.Equal(t, "/etc/recv/public/tls-bundle.pem", core.Peer.TLS.RootCert.File, "every organisation's TLS root")
}

// TestFabricConfigs_NameFilesThePodsMount: every path the pods' core.yaml and orderer.yaml name is
// under a mount of the peer's or orderer's container (or the builder, in the peer image), so the
// configuration and the manifests cannot drift apart.
func TestFabricConfigs_NameFilesThePodsMount(t *testing.T) {
	inImage := map[string]bool{"/opt/recv/builder": true}
	for i, o := range []struct{ overlay, workload string }{{"bank1", "peer0"}, {"orderer", "orderer"}} {
		_, objs := load(t, o.overlay)
		var c *corev1.Container
		for _, w := range sortObjects(objs).workloads {
			if w.name == o.workload {
				c = &w.template.Spec.Containers[0]
			}
		}
		require.NotNil(t, c, o.workload)
		for name, v := range fabricConfigs[i].values {
			if !strings.HasPrefix(v, "/") || inImage[v] {
				continue
			}
			mounted := false
			for _, m := range c.VolumeMounts {
				if v == m.MountPath || strings.HasPrefix(v, strings.TrimSuffix(m.MountPath, "/")+"/") {
					mounted = true
				}
			}
			require.True(t, mounted, "%s: %s=%s is under no mount of %s", fabricConfigs[i].out, name, v, o.workload)
		}
	}
}
