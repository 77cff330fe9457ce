package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The kit's files, relative to this package.
const (
	rulesFile     = "prometheus/statsctl-rules.yaml"
	dashboardFile = "grafana/statsctl-dashboard.json"
	k8sDir        = "k8s"
)

// query is one PromQL expression of the kit and where it is.
type query struct {
	Where string // file and rule or panel
	Expr  string
}

// ruleQueries reads every rule expression of the alert rules file.
func ruleQueries(t testing.TB) []query {
	t.Helper()
	var doc struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var out []query
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			out = append(out, query{fmt.Sprintf("%s: group %s, rule %s%s", rulesFile, g.Name, r.Alert, r.Record), r.Expr})
		}
	}
	return out
}

// dashboardQueries reads every target expression of the dashboard,
// panels inside rows included.
func dashboardQueries(t testing.TB) []query {
	t.Helper()
	type panel struct {
		ID      int
		Title   string
		Targets []struct{ RefID, Expr string }
		Panels  []json.RawMessage
	}
	var doc struct {
		Panels []json.RawMessage
	}
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var out []query
	ids := map[int]bool{}
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: panel: %v", dashboardFile, err)
			}
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", dashboardFile, p.ID)
			}
			ids[p.ID] = true
			for _, tg := range p.Targets {
				out = append(out, query{fmt.Sprintf("%s: panel %q, target %s", dashboardFile, p.Title, tg.RefID), tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(doc.Panels)
	return out
}

// k8sObject is the part of a Kubernetes object the tests look at.
type k8sObject struct {
	Kind     string
	Metadata struct {
		Name   string
		Labels map[string]string
	}
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Selector yaml.Node // a map (Service) or {matchLabels} (Deployment)
		Ports    []struct {
			Name       string
			Port       int
			TargetPort any `yaml:"targetPort"`
		}
		Template struct {
			Metadata struct{ Labels map[string]string }
			Spec     struct {
				SecurityContext struct {
					RunAsNonRoot *bool  `yaml:"runAsNonRoot"`
					RunAsUser    *int64 `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				Containers []container
			}
		}
	}
}

type container struct {
	Name  string
	Image string
	Args  []string
	Env   []struct {
		Name      string
		Value     string
		ValueFrom struct {
			SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	Ports []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	StartupProbe   *probe `yaml:"startupProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Resources      struct {
		Requests, Limits map[string]string
	}
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct{ Drop []string }
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet struct {
		Path string
		Port any
	} `yaml:"httpGet"`
}

// k8sObjects reads every object of the files kustomization.yaml lists,
// and checks that it lists every YAML file of the directory.
func k8sObjects(t testing.TB) []k8sObject {
	t.Helper()
	var kust struct{ Resources []string }
	b, err := os.ReadFile(filepath.Join(k8sDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range kust.Resources {
		listed[r] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s is not listed in kustomization.yaml's resources", f)
		}
	}
	var out []k8sObject
	for _, r := range kust.Resources {
		b, err := os.ReadFile(filepath.Join(k8sDir, r))
		if err != nil {
			t.Fatalf("kustomization.yaml lists %s: %v", r, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o k8sObject
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			out = append(out, o)
		}
	}
	return out
}

// kit is the parsed Kubernetes manifests: the two daemons' containers and
// pod templates, the Secret, the Service.
type kit struct {
	consume, serve       container
	consumeObj, serveObj k8sObject
	secret               map[string]string
	service              k8sObject
}

func loadKit(t testing.TB) kit {
	t.Helper()
	var k kit
	for _, o := range k8sObjects(t) {
		switch {
		case o.Kind == "Deployment" && o.Metadata.Name == "statsctl-consume":
			k.consumeObj = o
		case o.Kind == "Deployment" && o.Metadata.Name == "statsctl-serve":
			k.serveObj = o
		case o.Kind == "Secret" && o.Metadata.Name == "statsctl-redis":
			k.secret = o.StringData
		case o.Kind == "Service" && o.Metadata.Name == "statsctl-serve":
			k.service = o
		default:
			t.Errorf("unexpected object %s %s", o.Kind, o.Metadata.Name)
		}
	}
	for name, o := range map[string]k8sObject{"consume": k.consumeObj, "serve": k.serveObj} {
		if len(o.Spec.Template.Spec.Containers) != 1 {
			t.Fatalf("Deployment statsctl-%s: want one container, have %d", name, len(o.Spec.Template.Spec.Containers))
		}
	}
	k.consume = k.consumeObj.Spec.Template.Spec.Containers[0]
	k.serve = k.serveObj.Spec.Template.Spec.Containers[0]
	if k.secret == nil {
		t.Fatal("no Secret statsctl-redis")
	}
	return k
}

// flagValue is the last value of --name in args (the one pflag keeps).
func flagValue(args []string, name string) (string, bool) {
	v, ok := "", false
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			v, ok = args[i+1], true
		} else if s, found := strings.CutPrefix(a, "--"+name+"="); found {
			v, ok = s, true
		}
	}
	return v, ok
}

// portOf resolves a probe's or Service's port (a number or a port name)
// to the container's port number.
func portOf(c container, p any) int {
	switch v := p.(type) {
	case int:
		return v
	case string:
		for _, cp := range c.Ports {
			if cp.Name == v {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
