package k8s

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// documented is what docs/operations.md ("Kubernetes") says a member creates itself: each Secret
// and ConfigMap by name, with the keys it holds.
type documented struct {
	secrets    map[string][]string
	configMaps map[string][]string
}

// docRow is a row of the table of Secrets and ConfigMaps: | `name` | Secret | `key`, `key` | ...
var docRow = regexp.MustCompile("^\\| `([a-z0-9-]+)` \\| (Secret|ConfigMap) \\| ([^|]*)\\|")

var docKey = regexp.MustCompile("`([^`]+)`")

// parseDocumented reads the table from the text of docs/operations.md.
func parseDocumented(text string) documented {
	d := documented{secrets: map[string][]string{}, configMaps: map[string][]string{}}
	for _, line := range strings.Split(text, "\n") {
		m := docRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var keys []string
		for _, k := range docKey.FindAllStringSubmatch(m[3], -1) {
			keys = append(keys, k[1])
		}
		if m[2] == "Secret" {
			d.secrets[m[1]] = keys
		} else {
			d.configMaps[m[1]] = keys
		}
	}
	return d
}

// workload is a StatefulSet or Deployment: what the checks need of either.
type workload struct {
	kind, name, namespace string
	serviceName           string // a StatefulSet's governing Service
	replicas              int32
	selector              *metav1.LabelSelector
	template              corev1.PodTemplateSpec
	claims                []corev1.PersistentVolumeClaim
}

// podLabels is the label set of each pod the workload makes (a StatefulSet's pods also carry
// their pod name, which per-pod Services select).
func (w workload) podLabels() []labels.Set {
	n := int(w.replicas)
	if n == 0 {
		n = 1
	}
	var out []labels.Set
	for i := 0; i < n; i++ {
		l := labels.Set{}
		for k, v := range w.template.Labels {
			l[k] = v
		}
		if w.kind == "StatefulSet" {
			l["statefulset.kubernetes.io/pod-name"] = fmt.Sprintf("%s-%d", w.name, i)
		}
		out = append(out, l)
	}
	return out
}

// bundle is one overlay's decoded objects, by kind.
type bundle struct {
	namespaces []*corev1.Namespace
	services   []*corev1.Service
	configMaps []*corev1.ConfigMap
	policies   []*networkingv1.NetworkPolicy
	workloads  []workload
	other      []string
}

func sortObjects(objs []k8sruntime.Object) bundle {
	var b bundle
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.Namespace:
			b.namespaces = append(b.namespaces, v)
		case *corev1.Service:
			b.services = append(b.services, v)
		case *corev1.ConfigMap:
			b.configMaps = append(b.configMaps, v)
		case *networkingv1.NetworkPolicy:
			b.policies = append(b.policies, v)
		case *appsv1.StatefulSet:
			r := int32(1)
			if v.Spec.Replicas != nil {
				r = *v.Spec.Replicas
			}
			b.workloads = append(b.workloads, workload{"StatefulSet", v.Name, v.Namespace, v.Spec.ServiceName, r, v.Spec.Selector, v.Spec.Template, v.Spec.VolumeClaimTemplates})
		case *appsv1.Deployment:
			r := int32(1)
			if v.Spec.Replicas != nil {
				r = *v.Spec.Replicas
			}
			b.workloads = append(b.workloads, workload{"Deployment", v.Name, v.Namespace, "", r, v.Spec.Selector, v.Spec.Template, nil})
		default:
			b.other = append(b.other, fmt.Sprintf("%T", o))
		}
	}
	return b
}

// check applies every rule to one overlay's objects and returns what is wrong (nothing: nil).
// namespace is the overlay's namespace, version the images' tag (network/docker/VERSION).
func check(objs []k8sruntime.Object, namespace, version string, docs documented) []error {
	b := sortObjects(objs)
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	for _, o := range objs {
		if s, ok := o.(*corev1.Secret); ok {
			fail("Secret %s is in the manifests: a member makes its Secrets itself from its own files", s.Name)
		}
	}
	for _, k := range b.other {
		if k != "*v1.Secret" {
			fail("object of kind %s: the manifests hold Namespaces, Services, ConfigMaps, StatefulSets, Deployments and NetworkPolicies", k)
		}
	}

	// Namespace: one, the overlay's, and every object in it.
	if len(b.namespaces) != 1 || b.namespaces[0].Name != namespace {
		fail("want exactly the Namespace %s, have %d", namespace, len(b.namespaces))
	}
	for _, o := range objs {
		m, ok := o.(metav1.Object)
		if !ok {
			continue
		}
		if _, isNS := o.(*corev1.Namespace); !isNS && m.GetNamespace() != namespace {
			fail("%T %s is in namespace %q, not %s", o, m.GetName(), m.GetNamespace(), namespace)
		}
	}

	configMaps := map[string]bool{}
	for _, c := range b.configMaps {
		configMaps[c.Name] = true
	}
	services := map[string]bool{}
	for _, s := range b.services {
		services[s.Name] = true
	}

	for _, w := range b.workloads {
		errs = append(errs, checkWorkload(w, version, docs, configMaps, services)...)
	}
	errs = append(errs, checkServices(b)...)
	errs = append(errs, checkPolicies(b)...)
	return errs
}

// checkWorkload: containers with requests, limits and probes on their own ports; images built
// here; every Secret and ConfigMap named is one the docs list (or one kustomize generated); every
// mount names a volume; a StatefulSet's governing Service exists and its claims ask for storage.
func checkWorkload(w workload, version string, docs documented, configMaps, services map[string]bool) []error {
	var errs []error
	fail := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s %s: "+format, append([]any{w.kind, w.name}, a...)...))
	}
	spec := w.template.Spec
	if len(w.template.Labels) == 0 {
		fail("pod template without labels")
	}
	// The API server refuses a selector that does not match the template's labels.
	if sel, err := metav1.LabelSelectorAsSelector(w.selector); err != nil || w.selector == nil || sel.Empty() {
		fail("no valid selector")
	} else if !sel.Matches(labels.Set(w.template.Labels)) {
		fail("its selector %s does not match its pod template's labels", sel)
	}
	if dup := duplicate(len(spec.Volumes), func(i int) string { return spec.Volumes[i].Name }); dup != "" {
		fail("volume %s twice", dup)
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
		switch {
		case v.Secret != nil:
			checkSecretRef(fail, v.Secret.SecretName, v.Secret.Items, docs)
		case v.ConfigMap != nil:
			checkConfigMapRef(fail, v.ConfigMap.Name, keysOf(v.ConfigMap.Items), docs, configMaps)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					checkSecretRef(fail, s.Secret.Name, s.Secret.Items, docs)
				}
				if s.ConfigMap != nil {
					checkConfigMapRef(fail, s.ConfigMap.Name, keysOf(s.ConfigMap.Items), docs, configMaps)
				}
			}
		case v.EmptyDir != nil:
		default:
			fail("volume %s: only Secrets, ConfigMaps, emptyDirs and claims", v.Name)
		}
	}
	for _, c := range w.claims {
		volumes[c.Name] = true
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; !ok || q.IsZero() {
			fail("claim %s asks for no storage", c.Name)
		}
	}
	if w.kind == "StatefulSet" {
		if len(w.claims) == 0 {
			fail("a StatefulSet here keeps state: it needs a volumeClaimTemplate")
		}
		if !services[w.serviceName] {
			fail("its serviceName %q names no Service", w.serviceName)
		}
	}
	if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil {
		fail("pods must run as a non-root user")
	} else if sc.FSGroup == nil || *sc.FSGroup != *sc.RunAsUser {
		// Secret files are root's with their mode (0400 here) unless an fsGroup owns them.
		fail("no fsGroup of its user %d: it could not read its Secrets", *sc.RunAsUser)
	}
	if len(spec.Containers) == 0 {
		fail("no containers")
	}
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		errs = append(errs, checkContainer(w, c, version, docs, configMaps, volumes)...)
	}
	return errs
}

func keysOf(items []corev1.KeyToPath) []string {
	var out []string
	for _, i := range items {
		out = append(out, i.Key)
	}
	return out
}

func checkSecretRef(fail func(string, ...any), name string, items []corev1.KeyToPath, docs documented) {
	keys, ok := docs.secrets[name]
	if !ok {
		fail("Secret %s is not listed in docs/operations.md (Kubernetes)", name)
		return
	}
	for _, i := range items {
		if !slices.Contains(keys, i.Key) {
			fail("Secret %s: key %s is not listed in docs/operations.md", name, i.Key)
		}
	}
}

func checkConfigMapRef(fail func(string, ...any), name string, items []string, docs documented, generated map[string]bool) {
	if generated[name] {
		return
	}
	keys, ok := docs.configMaps[name]
	if !ok {
		fail("ConfigMap %s is neither generated nor listed in docs/operations.md (Kubernetes)", name)
		return
	}
	for _, k := range items {
		if !slices.Contains(keys, k) {
			fail("ConfigMap %s: key %s is not listed in docs/operations.md", name, k)
		}
	}
}

func checkContainer(w workload, c corev1.Container, version string, docs documented, configMaps, volumes map[string]bool) []error {
	var errs []error
	fail := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s %s, container %s: "+format, append([]any{w.kind, w.name, c.Name}, a...)...))
	}
	if !regexp.MustCompile(`^recv/[a-z]+:` + regexp.QuoteMeta(version) + `$`).MatchString(c.Image) {
		fail("image %q is not a recv image of version %s (network/docker/VERSION)", c.Image, version)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
			fail("no %s request", r)
		}
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok || q.IsZero() {
		fail("no memory limit")
	} else if req := c.Resources.Requests[corev1.ResourceMemory]; q.Cmp(req) < 0 {
		fail("memory limit %s below its request %s", q.String(), req.String())
	}
	if c.Resources.Limits.Cpu().Cmp(resource.Quantity{}) != 0 && c.Resources.Limits.Cpu().Cmp(*c.Resources.Requests.Cpu()) < 0 {
		fail("cpu limit below its request")
	}
	ports := map[string]bool{}
	numbers := map[int32]bool{}
	for _, p := range c.Ports {
		if !portName.MatchString(p.Name) || ports[p.Name] {
			fail("port name %q: the API wants a unique IANA service name (at most 15 of a-z, 0-9, -)", p.Name)
		}
		ports[p.Name] = true
		numbers[p.ContainerPort] = true
	}
	for what, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil {
			fail("no %s probe", what)
			continue
		}
		var port intstr.IntOrString
		switch {
		case p.HTTPGet != nil:
			port = p.HTTPGet.Port
			if p.HTTPGet.Path == "" {
				fail("%s probe without a path", what)
			}
		case p.TCPSocket != nil:
			port = p.TCPSocket.Port
		default:
			fail("%s probe is neither an HTTP GET nor a TCP check", what)
			continue
		}
		if !portOf(port, ports, numbers) {
			fail("%s probe's port %s is none of the container's ports", what, port.String())
		}
	}
	if dup := duplicate(len(c.VolumeMounts), func(i int) string { return c.VolumeMounts[i].MountPath }); dup != "" {
		fail("two mounts at %s", dup)
	}
	for _, m := range c.VolumeMounts {
		if !volumes[m.Name] {
			fail("mount %s names no volume", m.Name)
		}
	}
	for _, e := range c.Env {
		if e.Value == setByOverlay {
			fail("%s is left to an overlay that did not set it", e.Name)
		}
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil {
			checkSecretRef(fail, r.Name, []corev1.KeyToPath{{Key: r.Key}}, docs)
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
			checkConfigMapRef(fail, r.Name, []string{r.Key}, docs, configMaps)
		}
	}
	if slices.Contains(c.Args, setByOverlay) {
		fail("an argument is left to an overlay that did not set it: %v", c.Args)
	}
	if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		fail("privilege escalation is not refused")
	}
	return errs
}

func portOf(p intstr.IntOrString, names map[string]bool, numbers map[int32]bool) bool {
	if p.Type == intstr.String {
		return names[p.StrVal]
	}
	return numbers[p.IntVal]
}

// selected are the pods (workload, labels) a selector picks.
func selected(b bundle, sel labels.Selector) []workload {
	var out []workload
	for _, w := range b.workloads {
		for _, l := range w.podLabels() {
			if sel.Matches(l) {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// checkServices: every Service selects pods, and each of its ports reaches a port of every
// container set it selects.
func checkServices(b bundle) []error {
	var errs []error
	for _, s := range b.services {
		if len(s.Spec.Selector) == 0 {
			errs = append(errs, fmt.Errorf("Service %s has no selector", s.Name))
			continue
		}
		if dup := duplicate(len(s.Spec.Ports), func(i int) string { return s.Spec.Ports[i].Name }); dup != "" || (len(s.Spec.Ports) > 1 && slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "" })) {
			errs = append(errs, fmt.Errorf("Service %s: its ports need distinct names", s.Name))
		}
		ws := selected(b, labels.SelectorFromSet(s.Spec.Selector))
		if len(ws) == 0 {
			errs = append(errs, fmt.Errorf("Service %s selects no pod", s.Name))
		}
		for _, w := range ws {
			names, numbers := containerPorts(w)
			for _, p := range s.Spec.Ports {
				target := p.TargetPort
				if target.Type == intstr.Int && target.IntVal == 0 {
					target = intstr.FromInt32(p.Port)
				}
				if !portOf(target, names, numbers) {
					errs = append(errs, fmt.Errorf("Service %s port %d: target %s is no port of %s %s", s.Name, p.Port, target.String(), w.kind, w.name))
				}
			}
		}
	}
	return errs
}

func containerPorts(w workload) (map[string]bool, map[int32]bool) {
	names, numbers := map[string]bool{}, map[int32]bool{}
	for _, c := range w.template.Spec.Containers {
		for _, p := range c.Ports {
			names[p.Name] = true
			numbers[p.ContainerPort] = true
		}
	}
	return names, numbers
}

// checkPolicies: a default deny of all ingress, and every pod admitted on its ports only by a
// policy that selects it; each policy selects some pod and names ports those pods have.
func checkPolicies(b bundle) []error {
	var errs []error
	deny := false
	covered := map[string]bool{}
	for _, p := range b.policies {
		if !slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			errs = append(errs, fmt.Errorf("NetworkPolicy %s does not govern ingress", p.Name))
		}
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			errs = append(errs, fmt.Errorf("NetworkPolicy %s: %w", p.Name, err))
			continue
		}
		if sel.Empty() {
			if len(p.Spec.Ingress) == 0 {
				deny = true
			} else {
				errs = append(errs, fmt.Errorf("NetworkPolicy %s admits ingress to every pod", p.Name))
			}
			continue
		}
		ws := selected(b, sel)
		if len(ws) == 0 {
			errs = append(errs, fmt.Errorf("NetworkPolicy %s selects no pod", p.Name))
		}
		for _, rule := range p.Spec.Ingress {
			if len(rule.From) == 0 {
				errs = append(errs, fmt.Errorf("NetworkPolicy %s admits from anywhere", p.Name))
			}
			for _, from := range rule.From {
				if anywhere(from) {
					errs = append(errs, fmt.Errorf("NetworkPolicy %s admits every namespace or address", p.Name))
				}
			}
			if len(rule.Ports) == 0 {
				errs = append(errs, fmt.Errorf("NetworkPolicy %s admits every port", p.Name))
			}
			for _, port := range rule.Ports {
				if port.Port == nil {
					errs = append(errs, fmt.Errorf("NetworkPolicy %s: a rule without a port", p.Name))
					continue
				}
				for _, w := range ws {
					names, numbers := containerPorts(w)
					// A policy over several kinds of pods names a port some of them have.
					if portOf(*port.Port, names, numbers) {
						covered[w.name] = true
					}
				}
				if !slices.ContainsFunc(ws, func(w workload) bool { n, num := containerPorts(w); return portOf(*port.Port, n, num) }) {
					errs = append(errs, fmt.Errorf("NetworkPolicy %s: port %s is no port of the pods it selects", p.Name, port.Port.String()))
				}
			}
		}
	}
	if !deny {
		errs = append(errs, fmt.Errorf("no NetworkPolicy denies ingress by default (empty podSelector, no rules)"))
	}
	var bare []string
	for _, w := range b.workloads {
		if !covered[w.name] {
			bare = append(bare, w.name)
		}
	}
	sort.Strings(bare)
	for _, n := range bare {
		errs = append(errs, fmt.Errorf("no NetworkPolicy admits anything to %s: its pods would be unreachable, or it has no policy", n))
	}
	return errs
}

// anywhere: a peer of a rule that matches every namespace (an empty namespaceSelector and no pod
// selector) or every address.
func anywhere(p networkingv1.NetworkPolicyPeer) bool {
	if p.IPBlock != nil {
		return p.IPBlock.CIDR == "0.0.0.0/0" || p.IPBlock.CIDR == "::/0"
	}
	ns := p.NamespaceSelector
	return ns != nil && len(ns.MatchLabels) == 0 && len(ns.MatchExpressions) == 0 && p.PodSelector == nil
}

// portName is an IANA service name, which the API wants of a named container port.
var portName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$`)

// duplicate returns a value that occurs twice among n values (empty: none does).
func duplicate(n int, value func(int) string) string {
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		v := value(i)
		if seen[v] {
			return v
		}
		seen[v] = true
	}
	return ""
}
