package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The sharding test's sweep (testdata/tiny.json: 4 points x 5 seeds) and
// how many shard processes split it: 20 does not divide by 3, so the
// shards differ in size.
const (
	tinyJobs   = 20
	tinyShards = 3
)

// TestShardsMergeToTheUnshardedSweep runs testdata/tiny.json as one sweep
// and as tinyShards shard processes at once, merges the shards and checks
// that the merged folder equals the unsharded one: the same records (as a
// set: a merge writes them shard by shard, the sweep in job order), the
// same CSV rows and header, report.md, report.html and every plot byte for
// byte, and sweep.json except for the list of merged shards; and that each
// shard holds exactly its jobs K, K+N, .... Nothing is excluded as
// timing-dependent: the report has no timing lines (the sweep's "wall"
// line goes to stdout only).
//
// The shards run three ways: simrun sweep --shard and simrun merge
// directly; the Kubernetes Jobs' own scripts under sh (the volume a
// folder, JOB_COMPLETION_INDEX set as the Job sets it); and the sweep
// workflow's own steps under bash (each shard's folder moved where
// download-artifact puts it).
func TestShardsMergeToTheUnshardedSweep(t *testing.T) {
	dir := t.TempDir()
	scenario, err := filepath.Abs("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "sweep", scenario, "--out", "full", "--quiet")
	full := filepath.Join(dir, "full")
	if n := len(readLines(t, filepath.Join(full, "runs.jsonl"))); n != tinyJobs {
		t.Fatalf("the unsharded sweep wrote %d records, want %d", n, tinyJobs)
	}
	t.Run("simrun", func(t *testing.T) {
		merged, shards := shardWithSimrun(t, scenario, full)
		compareSweeps(t, full, merged, shards)
	})
	t.Run("kubernetes-jobs", func(t *testing.T) {
		merged, shards := shardWithKubernetesJobs(t, scenario)
		compareSweeps(t, full, merged, shards)
	})
	t.Run("github-workflow", func(t *testing.T) {
		merged, shards := shardWithWorkflow(t, scenario)
		compareSweeps(t, full, merged, shards)
	})
}

// shardWithSimrun runs the shards with simrun sweep --shard, merges them
// in reverse order, and checks that a merge of part of the shards does
// not give the whole sweep's report (so the comparison can fail).
func shardWithSimrun(t *testing.T, scenario, full string) (merged string, shards []string) {
	dir := t.TempDir()
	bin := simrunBinary(t)
	inParallel(t, func(k int) error {
		args := []string{"sweep", scenario, "--shard", fmt.Sprintf("%d/%d", k, tinyShards),
			"--out", fmt.Sprintf("shard-%d", k), "--no-report", "--quiet", "--workers", "1"}
		return exitZero(execSimrun(bin, dir, args...))
	})
	for k := range tinyShards {
		shards = append(shards, filepath.Join(dir, fmt.Sprintf("shard-%d", k)))
	}
	reversed := slices.Clone(shards)
	slices.Reverse(reversed)
	mustRun(t, dir, append([]string{"merge", "--out", "merged", "--no-report"}, reversed...)...)
	mustRun(t, dir, "report", "merged")

	// Today a partial merge exits 0 with a warning; it must not give the
	// whole sweep's report.
	if code, _, _ := runSimrun(t, dir, "merge", "--out", "partial", shards[0], shards[1]); code == 0 {
		a, _ := os.ReadFile(filepath.Join(full, "report.md"))
		b, _ := os.ReadFile(filepath.Join(dir, "partial", "report.md"))
		if bytes.Equal(a, b) {
			t.Error("the report of two shards of three equals the whole sweep's: the comparison cannot fail")
		}
	}
	return filepath.Join(dir, "merged"), shards
}

// shardWithKubernetesJobs runs the sh -c scripts of sweep-job.yaml (once
// per index, at once) and of merge-job.yaml, with the ConfigMap's
// variables set for the tiny sweep and the volume's /data a folder.
func shardWithKubernetesJobs(t *testing.T, scenario string) (merged string, shards []string) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the Jobs' scripts")
	}
	data := t.TempDir()
	local := func(script string) string { return strings.ReplaceAll(script, "/data/", data+"/") }
	sweepScript, mergeScript := local(jobScript(t, "kubernetes/sweep-job.yaml")), local(jobScript(t, "kubernetes/merge-job.yaml"))
	// Clipped: each shard appends its own index to a copy.
	env := slices.Clip(append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SCENARIO="+scenario, "SWEEP=tiny", fmt.Sprintf("SHARDS=%d", tinyShards)))
	simrunBinary(t)
	inParallel(t, func(k int) error {
		return runScript(data, append(env, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", k)), sh, "-c", sweepScript)
	})
	if err := runScript(data, env, sh, "-c", mergeScript); err != nil {
		t.Fatal(err)
	}
	for k := range tinyShards {
		shards = append(shards, filepath.Join(data, "tiny", fmt.Sprintf("shard-%d", k)))
	}
	return filepath.Join(data, "tiny", "merged"), shards
}

// shardWithWorkflow runs the sweep workflow's sweep step (once per matrix
// entry, at once) and its merge step under bash, as GitHub's runners do,
// with the simrun the test built in RUNNER_TEMP.
func shardWithWorkflow(t *testing.T, scenario string) (merged string, shards []string) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the workflow's steps")
	}
	sweepStep, mergeStep := workflowSteps(t)
	work := t.TempDir()
	env := slices.Clip(append(os.Environ(), "RUNNER_TEMP="+binDir, "SCENARIO="+scenario, "RUNS=5", fmt.Sprintf("SHARDS=%d", tinyShards)))
	simrunBinary(t)
	inParallel(t, func(k int) error {
		return runScript(work, append(env, fmt.Sprintf("SHARD=%d", k)), bash, "-e", "-c", sweepStep)
	})
	// download-artifact puts the artifact shard-K (the folder shard-K/)
	// in shards/shard-K/.
	if err := os.Mkdir(filepath.Join(work, "shards"), 0o755); err != nil {
		t.Fatal(err)
	}
	for k := range tinyShards {
		name := fmt.Sprintf("shard-%d", k)
		if err := os.Rename(filepath.Join(work, name), filepath.Join(work, "shards", name)); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, filepath.Join(work, "shards", name))
	}
	if err := runScript(work, env, bash, "-e", "-c", mergeStep); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(work, "merged"), shards
}

// jobScript returns the sh -c script of a Job's container.
func jobScript(t *testing.T, path string) string {
	t.Helper()
	var job struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Command      []string `yaml:"command"`
						Args         []string `yaml:"args"`
						VolumeMounts []struct {
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	decodeFile(t, path, &job)
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 || !slices.Equal(cs[0].Command, []string{"sh", "-c"}) || len(cs[0].Args) != 1 {
		t.Fatalf("%s: want one container running sh -c SCRIPT", path)
	}
	mountsData := false
	for _, m := range cs[0].VolumeMounts {
		mountsData = mountsData || m.MountPath == "/data"
	}
	if !mountsData {
		t.Fatalf("%s: the container mounts no volume at /data", path)
	}
	return cs[0].Args[0]
}

// workflowSteps returns the run scripts of sweep.yml's steps that run
// simrun sweep (in job shard) and simrun merge (in job merge).
func workflowSteps(t *testing.T) (sweep, merge string) {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	decodeFile(t, "../.github/workflows/sweep.yml", &wf)
	find := func(job, sub string) string {
		for _, s := range wf.Jobs[job].Steps {
			for _, c := range simrunCommands(s.Run) {
				if len(c.args) > 0 && c.args[0] == sub {
					return s.Run
				}
			}
		}
		t.Fatalf("sweep.yml: job %s has no step running simrun %s", job, sub)
		return ""
	}
	return find("shard", "sweep"), find("merge", "merge")
}

// inParallel runs f(0) ... f(tinyShards-1) at once, as a cluster runs
// its shards, and fails the test with every error.
func inParallel(t *testing.T, f func(k int) error) {
	t.Helper()
	errs := make([]error, tinyShards)
	var wg sync.WaitGroup
	for k := range tinyShards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = f(k)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// runScript runs a shell with args in dir, under env; an exit status
// other than 0 is an error carrying the output.
func runScript(dir string, env []string, shell string, args ...string) error {
	cmd := exec.Command(shell, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", shell, strings.Join(args, " "), err, out)
	}
	return nil
}

// exitZero makes a non-zero exit of execSimrun an error.
func exitZero(code int, stdout, stderr string, err error) error {
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	return err
}

// compareSweeps checks the merged folder against the unsharded sweep's,
// and each shard's jobs.
func compareSweeps(t *testing.T, full, merged string, shards []string) {
	t.Helper()
	for k, d := range shards {
		checkShardJobs(t, d, k, tinyShards)
	}
	sameLines(t, "runs.jsonl", readLines(t, filepath.Join(full, "runs.jsonl")), readLines(t, filepath.Join(merged, "runs.jsonl")))
	fullCSV, mergedCSV := readLines(t, filepath.Join(full, "runs.csv")), readLines(t, filepath.Join(merged, "runs.csv"))
	if len(fullCSV) == 0 || len(mergedCSV) == 0 || fullCSV[0] != mergedCSV[0] {
		t.Errorf("runs.csv headers differ or are missing")
	} else {
		sameLines(t, "runs.csv rows", fullCSV[1:], mergedCSV[1:])
	}
	sameFiles(t, full, merged)
	sameManifest(t, full, merged)
}

func mustRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	if code, out, serr := runSimrun(t, dir, args...); code != 0 {
		t.Fatalf("simrun %s: exit %d\n%s%s", strings.Join(args, " "), code, out, serr)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// sameLines compares two lists of lines as sets with counts.
func sameLines(t *testing.T, what string, want, have []string) {
	t.Helper()
	w, h := append([]string(nil), want...), append([]string(nil), have...)
	sort.Strings(w)
	sort.Strings(h)
	if !reflect.DeepEqual(w, h) {
		t.Errorf("%s: merged shards have %d lines, the unsharded sweep %d, and they differ", what, len(h), len(w))
	}
}

// checkShardJobs checks that a shard holds exactly the jobs j with
// j mod n = k, j = point x runs + (seed - first seed).
func checkShardJobs(t *testing.T, dir string, k, n int) {
	t.Helper()
	var m struct {
		Runs int    `json:"runs_per_point"`
		Seed uint64 `json:"seed"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if err != nil || json.Unmarshal(b, &m) != nil || m.Runs < 1 {
		t.Fatalf("%s/sweep.json: %v", dir, err)
	}
	jobs := map[int]bool{}
	for _, line := range readLines(t, filepath.Join(dir, "runs.jsonl")) {
		var r struct {
			Point int    `json:"point"`
			Seed  uint64 `json:"seed"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s/runs.jsonl: %v", dir, err)
		}
		j := r.Point*m.Runs + int(r.Seed-m.Seed)
		if j%n != k || jobs[j] {
			t.Errorf("%s holds job %d (point %d seed %d): not shard %d/%d's, or twice", dir, j, r.Point, r.Seed, k, n)
		}
		jobs[j] = true
	}
	want := 0
	for j := range tinyJobs {
		if j%n == k {
			want++
		}
	}
	if len(jobs) != want {
		t.Errorf("%s holds %d jobs, want %d", dir, len(jobs), want)
	}
}

// sameFiles compares report.md, report.html and every plot byte for byte.
func sameFiles(t *testing.T, full, merged string) {
	t.Helper()
	names := []string{"report.md", "report.html"}
	plots, err := filepath.Glob(filepath.Join(full, "plots", "*"))
	if err != nil || len(plots) == 0 {
		t.Fatalf("no plots in %s/plots (%v)", full, err)
	}
	for _, p := range plots {
		names = append(names, filepath.Join("plots", filepath.Base(p)))
	}
	for _, name := range names {
		a, err := os.ReadFile(filepath.Join(full, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(merged, name))
		if err != nil {
			t.Errorf("merged: %v", err)
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the unsharded sweep and the merged shards", name)
		}
	}
}

// sameManifest compares the sweep.json files but for merged_shards, which
// must name every shard.
func sameManifest(t *testing.T, full, merged string) {
	t.Helper()
	var a, b map[string]any
	for _, x := range []struct {
		dir string
		m   *map[string]any
	}{{full, &a}, {merged, &b}} {
		raw, err := os.ReadFile(filepath.Join(x.dir, "sweep.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, x.m); err != nil {
			t.Fatalf("%s/sweep.json: %v", x.dir, err)
		}
	}
	var shards []string
	list, _ := b["merged_shards"].([]any)
	for _, s := range list {
		shards = append(shards, fmt.Sprint(s))
	}
	sort.Strings(shards)
	var want []string
	for k := range tinyShards {
		want = append(want, fmt.Sprintf("%d/%d", k, tinyShards))
	}
	if !reflect.DeepEqual(shards, want) {
		t.Errorf("merged sweep.json: merged_shards %v, want %v", shards, want)
	}
	delete(b, "merged_shards")
	if !reflect.DeepEqual(a, b) {
		t.Errorf("sweep.json of the merge differs from the unsharded sweep's beyond merged_shards:\n%v\n%v", a, b)
	}
}
