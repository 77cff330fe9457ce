package deploy_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestManifests checks what a reviewer of the manifests would: probes on
// the paths and ports the daemons really serve them on, the Redis URLs from
// the Secret, non-root read-only containers with requests and limits, a
// Service that selects serve's pods.
func TestManifests(t *testing.T) {
	k := loadKit(t)
	for _, d := range []struct {
		name      string
		c         container
		obj       k8sObject
		command   string
		addrFlag  string
		env       []string
		liveness  string
		readiness string
	}{
		{"consume", k.consume, k.consumeObj, "consume", "metrics-addr",
			[]string{"STATSCTL_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL"}, "/healthz", "/healthz"},
		{"serve", k.serve, k.serveObj, "serve", "listen",
			[]string{"STATSCTL_REDIS_URL"}, "/healthz", "/readyz"},
	} {
		c := d.c
		if len(c.Args) == 0 || c.Args[0] != d.command {
			t.Errorf("%s: args %q do not start with %q", d.name, c.Args, d.command)
		}
		if c.Image != "statsctl" {
			t.Errorf("%s: image %q, want statsctl (kustomization.yaml sets the registry)", d.name, c.Image)
		}
		// The daemon listens where the probes and the scrape look.
		addr, ok := flagValue(c.Args, d.addrFlag)
		if !ok {
			t.Errorf("%s: no --%s in args (the default may be loopback only)", d.name, d.addrFlag)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "" {
			t.Errorf("%s: --%s %q: want :PORT (all interfaces)", d.name, d.addrFlag, addr)
		}
		want, _ := strconv.Atoi(port)
		for kind, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil {
				t.Errorf("%s: no %s probe", d.name, kind)
				continue
			}
			if got := portOf(c, p.HTTPGet.Port); got != want {
				t.Errorf("%s: %s probe on port %d, the daemon listens on %d", d.name, kind, got, want)
			}
		}
		if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet.Path != d.liveness {
			t.Errorf("%s: liveness probe path %q, want %q", d.name, c.LivenessProbe.HTTPGet.Path, d.liveness)
		}
		if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet.Path != d.readiness {
			t.Errorf("%s: readiness probe path %q, want %q", d.name, c.ReadinessProbe.HTTPGet.Path, d.readiness)
		}
		if ann := d.obj.Spec.Template.Metadata.Labels; ann == nil {
			t.Errorf("%s: pod template has no labels", d.name)
		}
		// Redis URLs come from the Secret, whose keys exist.
		got := map[string]bool{}
		for _, e := range c.Env {
			ref := e.ValueFrom.SecretKeyRef
			if strings.Contains(e.Name, "REDIS_URL") && (e.Value != "" || ref.Name != "statsctl-redis") {
				t.Errorf("%s: %s is not read from Secret statsctl-redis", d.name, e.Name)
			}
			if ref.Name == "statsctl-redis" {
				if _, ok := k.secret[ref.Key]; !ok {
					t.Errorf("%s: %s reads key %q, which Secret statsctl-redis lacks (keys %v)", d.name, e.Name, ref.Key, sortedKeys(k.secret))
				}
			}
			got[e.Name] = true
		}
		for _, name := range d.env {
			if !got[name] {
				t.Errorf("%s: env %s missing", d.name, name)
			}
		}
		// Non-root, read-only, no privilege, bounded.
		ps := d.obj.Spec.Template.Spec.SecurityContext
		if ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
			t.Errorf("%s: pod must set runAsNonRoot: true and a non-zero runAsUser", d.name)
		}
		sc := c.SecurityContext
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: readOnlyRootFilesystem must be true", d.name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: allowPrivilegeEscalation must be false", d.name)
		}
		if strings.Join(sc.Capabilities.Drop, ",") != "ALL" {
			t.Errorf("%s: capabilities must drop ALL", d.name)
		}
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
				t.Errorf("%s: resources need a %s request and limit", d.name, r)
			}
		}
	}
	// The Service reaches serve's pods on serve's port.
	var sel map[string]string
	if err := k.service.Spec.Selector.Decode(&sel); err != nil || len(sel) == 0 {
		t.Fatalf("Service statsctl-serve: selector: %v", err)
	}
	for key, v := range sel {
		if k.serveObj.Spec.Template.Metadata.Labels[key] != v {
			t.Errorf("Service selector %s=%s does not match serve's pod labels %v", key, v, k.serveObj.Spec.Template.Metadata.Labels)
		}
	}
	addr, _ := flagValue(k.serve.Args, "listen")
	_, port, _ := net.SplitHostPort(addr)
	for _, p := range k.service.Spec.Ports {
		if got := portOf(k.serve, p.TargetPort); strconv.Itoa(got) != port {
			t.Errorf("Service port %d targets %v = %d, serve listens on %s", p.Port, p.TargetPort, got, port)
		}
	}
}

// TestDockerfile checks the few things the Dockerfile must say, since no
// Docker engine here can build it: a static build with the Makefile's
// version flag, a non-root user on the final stage.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	mk, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	ld := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(-X \S+)=\$\(VERSION\)`).FindStringSubmatch(string(mk))
	if ld == nil {
		t.Fatal("Makefile: no LDFLAGS := -X ...=$(VERSION) line")
	}
	for _, want := range []string{"CGO_ENABLED=0", ld[1] + "=${VERSION}", "ARG VERSION"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	stages := strings.Split(s, "\nFROM ")
	last := stages[len(stages)-1]
	m := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(last)
	if m == nil || strings.HasPrefix(m[1], "0") || strings.HasPrefix(m[1], "root") {
		t.Errorf("Dockerfile's final stage must set a non-root USER, has %v", m)
	}
}

// TestDashboardPromtool runs every dashboard expression through promtool's
// parser (as recording rules, Grafana's $__rate_interval as 5m): the rules
// file gets `promtool check rules` from make check-deploy, the dashboard
// gets it here.
func TestDashboardPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found in CI (apt-get install prometheus)")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range dashboardQueries(t) {
		expr := strings.ReplaceAll(q.Expr, "$__rate_interval", "5m")
		b.WriteString("      - record: dashboard_query_" + strconv.Itoa(i) + "\n        expr: " + strconv.Quote(expr) + "\n")
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the dashboard's expressions: %v\n%s", err, out)
	}
}
