package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// deployFiles are the YAML files this folder and the workflows hold.
func deployFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"kubernetes/*.yaml", "../.github/workflows/*.yml", "../.clusterfuzzlite/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no manifests or workflows found")
	}
	return files
}

// parseYAML reads every document of a YAML file.
func parseYAML(path string) ([]*yaml.Node, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		docs = append(docs, &n)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no YAML document", path)
	}
	return docs, nil
}

// foundCommand is a simrun command line and the file and line it is on.
type foundCommand struct {
	where string
	args  []string
}

// yamlCommands finds the simrun command lines of a YAML tree: in the
// values of the keys a container or a workflow step runs (command, args,
// run), as an argument list starting with simrun or as a shell script.
func yamlCommands(file string, n *yaml.Node, out *[]foundCommand) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			yamlCommands(file, c, out)
		}
	case yaml.MappingNode:
		var argv []string
		argvLine := 0
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			switch key {
			case "command", "args":
				if val.Kind == yaml.SequenceNode {
					words := scalars(val)
					if key == "command" && len(words) > 0 && filepath.Base(words[0]) == "simrun" {
						argv, argvLine = words[1:], val.Line
						continue
					}
					if key == "args" && argvLine > 0 {
						argv = append(argv, words...)
						continue
					}
				}
				scriptCommands(file, val, out)
			case "run":
				scriptCommands(file, val, out)
			default:
				yamlCommands(file, val, out)
			}
		}
		if argvLine > 0 {
			*out = append(*out, foundCommand{fmt.Sprintf("%s:%d", file, argvLine), argv})
		}
	}
}

// scriptCommands reads every string under n as a shell script.
func scriptCommands(file string, n *yaml.Node, out *[]foundCommand) {
	if n.Kind == yaml.ScalarNode {
		first := n.Line
		if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
			first++ // the script starts on the line after | or >
		}
		for _, c := range simrunCommands(n.Value) {
			*out = append(*out, foundCommand{fmt.Sprintf("%s:%d", file, first+c.line-1), c.args})
		}
		return
	}
	for _, c := range n.Content {
		scriptCommands(file, c, out)
	}
}

func scalars(n *yaml.Node) []string {
	var s []string
	for _, c := range n.Content {
		s = append(s, c.Value)
	}
	return s
}

// readmeCommands finds the simrun command lines of README.md's code
// blocks (indented by four spaces, or fenced).
func readmeCommands(t *testing.T, file string) []foundCommand {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []foundCommand
	fenced := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		code, ok := strings.CutPrefix(line, "    ")
		if fenced {
			code, ok = line, true
		}
		if !ok {
			continue
		}
		for _, c := range simrunCommands(code) {
			out = append(out, foundCommand{fmt.Sprintf("%s:%d", file, i+1), c.args})
		}
	}
	return out
}

// TestManifestsParseAndNameRealCommands checks that every Kubernetes
// manifest, every workflow and ClusterFuzzLite's project.yaml parse as
// YAML, and that every simrun command line in them and in README.md's
// code blocks names a subcommand simrun has and only flags that
// subcommand accepts, as the built simrun's --help texts say. The Job and
// workflow that shard a sweep must each run simrun sweep --shard.
func TestManifestsParseAndNameRealCommands(t *testing.T) {
	c := loadCLI(t)
	var all []foundCommand
	perFile := map[string][]foundCommand{}
	for _, f := range deployFiles(t) {
		docs, err := parseYAML(f)
		if err != nil {
			t.Error(err)
			continue
		}
		var found []foundCommand
		for _, d := range docs {
			yamlCommands(f, d, &found)
		}
		perFile[filepath.Base(f)] = found
		all = append(all, found...)
	}
	all = append(all, readmeCommands(t, "README.md")...)
	for _, fc := range all {
		if err := c.check(t, fc.args); err != nil {
			t.Errorf("%s: %v\n\tsimrun %s", fc.where, err, strings.Join(fc.args, " "))
		}
	}
	for file, subs := range map[string][]string{
		"sweep-job.yaml": {"sweep"},
		"merge-job.yaml": {"merge", "report"},
		"sweep.yml":      {"sweep", "merge", "report"},
	} {
		for _, sub := range subs {
			if !hasCommand(perFile[file], sub, "") {
				t.Errorf("%s: no simrun %s command found (the extraction or the file changed)", file, sub)
			}
		}
	}
	if !hasCommand(perFile["sweep-job.yaml"], "sweep", "--shard") || !hasCommand(perFile["sweep.yml"], "sweep", "--shard") {
		t.Error("the sweep Job and the sweep workflow must run simrun sweep --shard")
	}
	t.Logf("checked %d simrun command lines", len(all))
}

func hasCommand(cmds []foundCommand, sub, flag string) bool {
	for _, c := range cmds {
		if len(c.args) == 0 || c.args[0] != sub {
			continue
		}
		if flag == "" {
			return true
		}
		for _, a := range c.args[1:] {
			if a == flag || strings.HasPrefix(a, flag+"=") {
				return true
			}
		}
	}
	return false
}

// decodeFile decodes a one-document YAML file into v.
func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	docs, err := parseYAML(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", path, len(docs))
	}
	if err := docs[0].Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// k8sJob is the part of a Job manifest the tests read.
type k8sJob struct {
	Kind string `yaml:"kind"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Name    string `yaml:"name"`
					EnvFrom []struct {
						ConfigMapRef struct {
							Name string `yaml:"name"`
						} `yaml:"configMapRef"`
					} `yaml:"envFrom"`
				} `yaml:"containers"`
				Volumes []struct {
					Name string `yaml:"name"`
					PVC  struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// TestKubernetesShardsAgree checks that the manifests agree on the
// sweep's shape: the sweep Job is Indexed with as many completions as the
// ConfigMap's SHARDS (which both Jobs read, for --shard K/SHARDS and for
// the shards to merge), and both Jobs mount the volume volume.yaml claims.
func TestKubernetesShardsAgree(t *testing.T) {
	var cm struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	decodeFile(t, "kubernetes/sweep-config.yaml", &cm)
	shards, err := strconv.Atoi(cm.Data["SHARDS"])
	if cm.Kind != "ConfigMap" || err != nil || shards < 1 {
		t.Fatalf("sweep-config.yaml: want a ConfigMap with SHARDS a positive number, have kind %q SHARDS %q", cm.Kind, cm.Data["SHARDS"])
	}
	var pvc struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	decodeFile(t, "kubernetes/volume.yaml", &pvc)
	if pvc.Kind != "PersistentVolumeClaim" {
		t.Fatalf("volume.yaml: kind %q, want PersistentVolumeClaim", pvc.Kind)
	}
	var sweep, merge k8sJob
	decodeFile(t, "kubernetes/sweep-job.yaml", &sweep)
	decodeFile(t, "kubernetes/merge-job.yaml", &merge)
	if sweep.Spec.CompletionMode != "Indexed" || sweep.Spec.Completions != shards {
		t.Errorf("sweep-job.yaml: completionMode %q, completions %d; want Indexed and %d (SHARDS)",
			sweep.Spec.CompletionMode, sweep.Spec.Completions, shards)
	}
	if p := sweep.Spec.Parallelism; p < 1 || p > shards {
		t.Errorf("sweep-job.yaml: parallelism %d, want 1 to %d", p, shards)
	}
	if sweep.Spec.Template.Spec.RestartPolicy != "Never" {
		t.Error("sweep-job.yaml: restartPolicy must be Never (podFailurePolicy and backoffLimitPerIndex need it)")
	}
	for name, j := range map[string]k8sJob{"sweep-job.yaml": sweep, "merge-job.yaml": merge} {
		if j.Kind != "Job" {
			t.Errorf("%s: kind %q, want Job", name, j.Kind)
		}
		readsConfig, claims := false, false
		for _, c := range j.Spec.Template.Spec.Containers {
			for _, e := range c.EnvFrom {
				readsConfig = readsConfig || e.ConfigMapRef.Name == cm.Metadata.Name
			}
		}
		for _, v := range j.Spec.Template.Spec.Volumes {
			claims = claims || v.PVC.ClaimName == pvc.Metadata.Name
		}
		if !readsConfig || !claims {
			t.Errorf("%s: reads ConfigMap %s: %v; mounts claim %s: %v", name, cm.Metadata.Name, readsConfig, pvc.Metadata.Name, claims)
		}
	}
}

// TestWorkflowShardsAgree checks that the sweep workflow's matrix is
// shards 0 to SHARDS-1, the SHARDS its sweep and merge steps use.
func TestWorkflowShardsAgree(t *testing.T) {
	var wf struct {
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Needs    any `yaml:"needs"`
			Strategy struct {
				Matrix map[string]any `yaml:"matrix"`
			} `yaml:"strategy"`
		} `yaml:"jobs"`
	}
	decodeFile(t, "../.github/workflows/sweep.yml", &wf)
	shards, err := strconv.Atoi(wf.Env["SHARDS"])
	if err != nil || shards < 1 {
		t.Fatalf("sweep.yml: env SHARDS %q, want a positive number", wf.Env["SHARDS"])
	}
	list, _ := wf.Jobs["shard"].Strategy.Matrix["shard"].([]any)
	var want, have []string
	for i := range shards {
		want = append(want, strconv.Itoa(i))
	}
	for _, v := range list {
		have = append(have, fmt.Sprint(v))
	}
	if strings.Join(have, ",") != strings.Join(want, ",") {
		t.Errorf("sweep.yml: matrix shard [%s], want [%s] (0 to SHARDS-1)", strings.Join(have, ", "), strings.Join(want, ", "))
	}
	if fmt.Sprint(wf.Jobs["merge"].Needs) != "shard" {
		t.Errorf("sweep.yml: the merge job needs %v, want shard", wf.Jobs["merge"].Needs)
	}
}

// TestClusterFuzzLiteWorkflow checks the ClusterFuzzLite workflow against
// .clusterfuzzlite/project.yaml: both fuzzing steps use its language, and
// the sanitizers are ones ClusterFuzzLite builds Go with (address only).
func TestClusterFuzzLiteWorkflow(t *testing.T) {
	var project struct {
		Language string `yaml:"language"`
	}
	decodeFile(t, "../.clusterfuzzlite/project.yaml", &project)
	var wf struct {
		Jobs map[string]struct {
			Strategy struct {
				Matrix struct {
					Sanitizer []string `yaml:"sanitizer"`
				} `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	decodeFile(t, "../.github/workflows/cflite_pr.yml", &wf)
	actions := map[string]bool{}
	for name, j := range wf.Jobs {
		for _, s := range j.Strategy.Matrix.Sanitizer {
			if s != "address" {
				t.Errorf("cflite_pr.yml: job %s: sanitizer %q; Go targets build with address only", name, s)
			}
		}
		for _, s := range j.Steps {
			a, _, _ := strings.Cut(s.Uses, "@")
			if !strings.HasPrefix(a, "google/clusterfuzzlite/actions/") {
				continue
			}
			actions[a] = true
			if s.With["language"] != project.Language {
				t.Errorf("cflite_pr.yml: %s: language %q, project.yaml says %q", a, s.With["language"], project.Language)
			}
		}
	}
	for _, a := range []string{"google/clusterfuzzlite/actions/build_fuzzers", "google/clusterfuzzlite/actions/run_fuzzers"} {
		if !actions[a] {
			t.Errorf("cflite_pr.yml does not use %s", a)
		}
	}
}
