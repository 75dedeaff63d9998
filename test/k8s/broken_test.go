package k8s

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// validate is what TestOverlays_DecodeStrictlyAndHoldTheRules applies to an overlay, on a YAML
// stream given here.
func validate(t *testing.T, o org, y string) error {
	objs, err := decode([]byte(y))
	if err != nil {
		return err
	}
	return errors.Join(append(check(objs, o.namespace(), version(t), docs(t)), expect(objs, o)...)...)
}

// reencode writes objects back as a YAML stream (for the cases that change a decoded object).
func reencode(t *testing.T, objs []k8sruntime.Object) string {
	var b strings.Builder
	enc := strictDecoder()
	for _, o := range objs {
		b.WriteString("---\n")
		require.NoError(t, enc.Encode(o, &b))
	}
	return b.String()
}

func byName[T any](objs []k8sruntime.Object, name string, get func(T) string) T {
	for _, o := range objs {
		if v, ok := o.(T); ok && get(v) == name {
			return v
		}
	}
	var zero T
	return zero
}

func statefulSet(objs []k8sruntime.Object, name string) *appsv1.StatefulSet {
	return byName(objs, name, func(s *appsv1.StatefulSet) string { return s.Name })
}

// TestChecks_RefuseABrokenDocument feeds the checks an overlay's output with one thing wrong:
// each must be refused, with a message that says what.
func TestChecks_RefuseABrokenDocument(t *testing.T) {
	bank1, orderer := orgs[2], orgs[5]
	good := map[string]string{}
	for _, o := range []org{bank1, orderer} {
		y, err := build(filepath.Join(k8sDir(t), "overlays", o.name))
		require.NoError(t, err)
		good[o.name] = string(y)
		require.NoError(t, validate(t, o, string(y)), "the unbroken %s", o.name)
	}
	edit := func(old, new string) func(*testing.T, string) string {
		return func(t *testing.T, y string) string {
			require.Contains(t, y, old)
			return strings.Replace(y, old, new, 1)
		}
	}
	change := func(f func([]k8sruntime.Object) []k8sruntime.Object) func(*testing.T, string) string {
		return func(t *testing.T, y string) string {
			objs, err := decode([]byte(y))
			require.NoError(t, err)
			return reencode(t, f(objs))
		}
	}
	cases := []struct {
		name  string
		org   org
		spoil func(*testing.T, string) string
		want  string
	}{
		{"an unknown field (a typo)", bank1, edit("  serviceName: peer0\n", "  serviceName: peer0\n  serviceNmae: peer0\n"), `unknown field "spec.serviceNmae"`},
		{"a field of the wrong type", bank1, edit("  replicas: 1\n", "  replicas: one\n"), "replicas"},
		{"a selector that misses its pods", bank1, edit("    matchLabels:\n      app.kubernetes.io/name: chaincode\n", "    matchLabels:\n      app.kubernetes.io/name: chaincode-server\n"),
			"Deployment chaincode: its selector app.kubernetes.io/name=chaincode-server does not match"},
		{"a port name the API refuses", bank1, edit("containerPort: 9541\n          name: operations\n", "containerPort: 9541\n          name: operations-endpoint\n"), "port name \"operations-endpoint\""},
		{"a Secret with data", bank1, func(_ *testing.T, y string) string {
			return y + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: peer0-tls\n  namespace: recv-bank1\ndata:\n  key.pem: c2VjcmV0\n"
		}, "Secret peer0-tls is in the manifests"},
		{"a container without a readiness probe", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			d := byName(objs, "chaincode", func(d *appsv1.Deployment) string { return d.Name })
			d.Spec.Template.Spec.Containers[0].ReadinessProbe = nil
			return objs
		}), "container chaincode: no readiness probe"},
		{"a container without requests", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			statefulSet(objs, "peer0").Spec.Template.Spec.Containers[0].Resources.Requests = nil
			return objs
		}), "container peer: no cpu request"},
		{"a probe on a port the container lacks", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			statefulSet(objs, "gateway").Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Port = intstr.FromString("http")
			return objs
		}), "liveness probe's port http"},
		{"a pod whose user cannot read its Secrets", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			byName(objs, "chaincode", func(d *appsv1.Deployment) string { return d.Name }).Spec.Template.Spec.SecurityContext.FSGroup = nil
			return objs
		}), "Deployment chaincode: no fsGroup of its user 65534"},
		{"a Service port to no container port", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			s := byName(objs, "gateway", func(s *corev1.Service) string { return s.Name })
			s.Spec.Ports[0].TargetPort = intstr.FromInt32(8803)
			return objs
		}), "Service gateway port 8803: target 8803 is no port"},
		{"a Secret the docs do not list", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			for i, v := range statefulSet(objs, "peer0").Spec.Template.Spec.Volumes {
				if v.Secret != nil && v.Secret.SecretName == "peer0-tls" {
					statefulSet(objs, "peer0").Spec.Template.Spec.Volumes[i].Secret.SecretName = "peer0-keys"
				}
			}
			return objs
		}), "Secret peer0-keys is not listed"},
		{"a workload no policy admits", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			var kept []k8sruntime.Object
			for _, o := range objs {
				if p, ok := o.(*networkingv1.NetworkPolicy); !ok || p.Name != "chaincode-from-own-peer" {
					kept = append(kept, o)
				}
			}
			return kept
		}), "no NetworkPolicy admits anything to chaincode"},
		{"a policy that admits every namespace", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			p := byName(objs, "chaincode-from-own-peer", func(p *networkingv1.NetworkPolicy) string { return p.Name })
			p.Spec.Ingress[0].From = append(p.Spec.Ingress[0].From, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{}})
			return objs
		}), "NetworkPolicy chaincode-from-own-peer admits every namespace or address"},
		{"no default deny", bank1, change(func(objs []k8sruntime.Object) []k8sruntime.Object {
			var kept []k8sruntime.Object
			for _, o := range objs {
				if p, ok := o.(*networkingv1.NetworkPolicy); !ok || p.Name != "default-deny-ingress" {
					kept = append(kept, o)
				}
			}
			return kept
		}), "no NetworkPolicy denies ingress by default"},
		{"another organisation's published port", bank1, edit("port: 7251", "port: 7051"), "Service peer0 port grpc is 7051, the project's is 7251"},
		{"another organisation's MSP ID", bank1, edit("value: Bank1MSP", "value: Bank2MSP"), `CORE_PEER_LOCALMSPID is "Bank2MSP"`},
		{"two orderers", orderer, edit("  replicas: 3\n", "  replicas: 2\n"), "a StatefulSet of 2, want a StatefulSet of 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validate(t, c.org, c.spoil(t, good[c.org.name]))
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}
