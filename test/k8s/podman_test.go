package k8s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/certtest"
	"github.com/recv-ledger/recv/gateway/client"
	"github.com/recv-ledger/recv/test/internal/testnet"
)

// TestPodman_Bank2sGatewayPodAnswersFromTheConsortium plays Bank2's gateway, as its overlay
// renders it, under `podman kube play` with the image built here from the gateway's Dockerfile,
// beside the running native network (scripts/test.sh runs it on the shared one): the pod reaches
// Bank2's peer and through it the consortium, and answers Bank2's officer. podman 4.3 runs Pods,
// not StatefulSets or Services, and cannot run an HTTP probe in an image without a shell, so the
// StatefulSet's pod template is played as a Pod on the host's network, its probes checked from
// here; its volumes are the native state folder's files (mounted where network.json names them,
// read as root: they are root's 0600 files, where a cluster mounts the member's Secrets 0400 for
// the pod's own user). Skipped without a network (RECV_TEST_NET_DIR) or, outside CI, without
// podman (Debian packages podman and catatonit: scripts/test.sh installs them).
func TestPodman_Bank2sGatewayPodAnswersFromTheConsortium(t *testing.T) {
	netDir := os.Getenv(testnet.EnvNetDir)
	if netDir == "" {
		t.Skip("no running network: " + testnet.EnvNetDir + " names one (scripts/test.sh sets it)")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("podman is not installed (Debian packages podman and catatonit: scripts/test.sh installs them)")
		}
		t.Skip("podman is not installed (Debian packages podman and catatonit: scripts/test.sh installs them)")
	}
	root := repoRoot(t)
	podmanCmd := func(args ...string) *exec.Cmd {
		cmd := exec.Command("podman", args...)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(root, "network", "k8s", "podman", "containers.conf"))
		return cmd
	}
	podman := func(args ...string) string {
		t.Helper()
		out, err := podmanCmd(args...).CombinedOutput()
		require.NoError(t, err, "podman %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}

	// The image, from the gateway's Dockerfile and a static recv.
	image := "localhost/recv/gateway:" + strings.TrimSpace(readFile(t, filepath.Join(root, "network", "docker", "VERSION")))
	ctxDir := t.TempDir()
	bin := filepath.Join(ctxDir, "rootfs", "usr", "local", "bin", "recv")
	build := exec.Command("go", "build", "-o", bin, "./cmd/recv")
	build.Dir = filepath.Join(root, "gateway")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	podman("build", "-q", "-t", image, "-f", filepath.Join(root, "network", "docker", "images", "gateway.Dockerfile"), ctxDir)

	// The pod: Bank2's gateway as its overlay renders it.
	_, objs := load(t, "bank2")
	var gw *appsv1.StatefulSet
	for _, o := range objs {
		if s, ok := o.(*appsv1.StatefulSet); ok && s.Name == "gateway" {
			gw = s
		}
	}
	require.NotNil(t, gw, "the bank2 overlay has no gateway StatefulSet")
	spec := gw.Spec.Template.Spec.DeepCopy()
	require.Len(t, spec.Containers, 1)
	c := &spec.Containers[0]
	require.Contains(t, c.Args, "Bank2MSP", "the overlay's --org")
	addr := freeAddr(t)
	state, tlsDir := t.TempDir(), t.TempDir()
	caPEM := writeTLSPair(t, tlsDir)
	require.NoError(t, os.Chmod(state, 0o777))
	c.Image = image
	c.Args = replaceFlag(t, replaceFlag(t, c.Args, "--network", filepath.Join(netDir, "network.json")), "--listen", addr)
	c.ReadinessProbe, c.LivenessProbe = nil, nil // checked from here: no shell in the image
	c.Ports = nil                                // the host's network: it listens on addr itself
	spec.HostNetwork = true
	spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: new(int64)} // root: the native files are root's
	spec.RestartPolicy = corev1.RestartPolicyNever
	hostPath := func(path string) corev1.VolumeSource {
		return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}
	}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		switch v.Name {
		case "state":
			v.VolumeSource = hostPath(state)
		case "tls":
			v.VolumeSource = hostPath(tlsDir)
		case "network", "identities", "public":
			v.VolumeSource = hostPath(t.TempDir()) // network.json and the identities: the native folder, below
		}
	}
	if !hasVolume(spec.Volumes, "state") { // the StatefulSet's claim
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "state", VolumeSource: hostPath(state)})
	}
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "native", VolumeSource: hostPath(netDir)})
	var mounts []corev1.VolumeMount
	for _, m := range c.VolumeMounts {
		if m.Name == "network" {
			continue // a file mount: network.json is read from the native folder
		}
		mounts = append(mounts, m)
	}
	c.VolumeMounts = append(mounts, corev1.VolumeMount{Name: "native", MountPath: netDir, ReadOnly: true})
	pod := corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "recv-bank2-gateway", Labels: gw.Spec.Template.Labels}, Spec: *spec}
	manifest, err := yaml.Marshal(pod)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "pod.yaml")
	require.NoError(t, os.WriteFile(file, manifest, 0o644))
	_ = podmanCmd("kube", "down", file).Run() // a pod an earlier run left
	podman("kube", "play", file)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := podmanCmd("logs", pod.Name+"-gateway").CombinedOutput()
			t.Logf("the pod's log:\n%s", logs)
		}
		out, err := podmanCmd("kube", "down", file).CombinedOutput()
		if err != nil {
			t.Logf("podman kube down: %v\n%s", err, out)
		}
	})

	// Ready: it reaches Bank2's peer (/readyz), then answers Bank2's officer from the ledger.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o644))
	https := "https://" + addr
	hc := tlsClient(t, caFile)
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := hc.Get(https + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "the pod's gateway is not ready after 90 s (last: %v)", err)
		time.Sleep(500 * time.Millisecond)
	}
	token, err := client.ReadToken(filepath.Join(state, "tokens", "officer.token"))
	require.NoError(t, err, "the pod wrote its users' tokens into its state volume")
	cl, err := client.New(https, token, client.WithTLSCAFile(caFile))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	me, err := cl.WhoAmI(ctx)
	require.NoError(t, err)
	require.Equal(t, "Bank2MSP/officer", me.Account)
	var orgs wire.Members
	require.NoError(t, cl.Call(ctx, "list-orgs", nil, nil, nil, &orgs))
	var msps []string
	for _, o := range orgs.Orgs {
		msps = append(msps, o.MSPID)
	}
	require.Subset(t, msps, []string{"CoreMSP", "SupplierMSP", "Bank1MSP", "Bank2MSP", "AuditorMSP"}, "the registry, read through Bank2's peer")
	t.Logf("Bank2's gateway pod at %s answers %s; the registry names %s", https, me.Account, strings.Join(msps, ", "))
}

func hasVolume(vs []corev1.Volume, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// replaceFlag sets the value that follows flag in args.
func replaceFlag(t *testing.T, args []string, flag, value string) []string {
	t.Helper()
	out := append([]string(nil), args...)
	for i := range out[:len(out)-1] {
		if out[i] == flag {
			out[i+1] = value
			return out
		}
	}
	t.Fatalf("no %s in %q", flag, args)
	return nil
}

// freeAddr is a loopback address no process listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// writeTLSPair writes a self-signed HTTPS pair for 127.0.0.1 (certtest's) as cert.pem and key.pem
// in dir, readable by the pod, and returns the certificate.
func writeTLSPair(t *testing.T, dir string) []byte {
	t.Helper()
	p := certtest.New(t, "gateway.bank2")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cert.pem"), p.CertPEM, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "key.pem"), p.KeyPEM, 0o644))
	return p.CertPEM
}

// tlsClient trusts the CA of caFile.
func tlsClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(readFile(t, caFile))))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}
