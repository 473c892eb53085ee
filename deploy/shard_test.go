package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
// and as tinyShards shard processes at once (simrun sweep --shard K/N, as
// the Indexed Job and the workflow matrix do), merges the shards with
// simrun merge (in another order than their numbers) and checks that the
// merged folder equals the unsharded one: the same records (as a set: a
// merge writes them shard by shard, the sweep in job order), the same
// CSV rows and header, report.md, report.html and every plot byte for
// byte, and sweep.json except for the list of merged shards. Nothing is
// excluded as timing-dependent: the report has no timing lines (the
// sweep's "wall" line goes to stdout only). Each shard must hold exactly
// its jobs K, K+N, ...; and a merge of part of the shards must not give
// the whole sweep's report, so the comparison can fail.
func TestShardsMergeToTheUnshardedSweep(t *testing.T) {
	dir := t.TempDir()
	scenario, err := filepath.Abs("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "sweep", scenario, "--out", "full", "--quiet")

	bin := simrunBinary(t)
	var wg sync.WaitGroup
	errs := make([]string, tinyShards)
	for k := range tinyShards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"sweep", scenario, "--shard", fmt.Sprintf("%d/%d", k, tinyShards),
				"--out", fmt.Sprintf("shard-%d", k), "--no-report", "--quiet", "--workers", "1"}
			code, out, serr, err := execSimrun(bin, dir, args...)
			if err != nil {
				errs[k] = err.Error()
			} else if code != 0 {
				errs[k] = fmt.Sprintf("simrun %s: exit %d\n%s%s", strings.Join(args, " "), code, out, serr)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
	var shardDirs []string
	for k := tinyShards - 1; k >= 0; k-- {
		shardDirs = append(shardDirs, fmt.Sprintf("shard-%d", k))
	}
	mustRun(t, dir, append([]string{"merge", "--out", "merged", "--no-report"}, shardDirs...)...)
	mustRun(t, dir, "report", "merged")

	full, merged := filepath.Join(dir, "full"), filepath.Join(dir, "merged")
	fullRecs := readLines(t, filepath.Join(full, "runs.jsonl"))
	if len(fullRecs) != tinyJobs {
		t.Fatalf("the unsharded sweep wrote %d records, want %d", len(fullRecs), tinyJobs)
	}
	for k := range tinyShards {
		checkShardJobs(t, filepath.Join(dir, fmt.Sprintf("shard-%d", k)), k, tinyShards)
	}
	sameLines(t, "runs.jsonl", fullRecs, readLines(t, filepath.Join(merged, "runs.jsonl")))
	fullCSV, mergedCSV := readLines(t, filepath.Join(full, "runs.csv")), readLines(t, filepath.Join(merged, "runs.csv"))
	if len(fullCSV) == 0 || len(mergedCSV) == 0 || fullCSV[0] != mergedCSV[0] {
		t.Errorf("runs.csv headers differ or are missing")
	} else {
		sameLines(t, "runs.csv rows", fullCSV[1:], mergedCSV[1:])
	}
	sameFiles(t, full, merged)
	sameManifest(t, full, merged)

	// A merge of part of the shards (today exit 0 with a warning) must
	// not reproduce the whole sweep's report.
	code, _, _ := runSimrun(t, dir, "merge", "--out", "partial", "shard-0", "shard-1")
	if code == 0 {
		a, _ := os.ReadFile(filepath.Join(full, "report.md"))
		b, _ := os.ReadFile(filepath.Join(dir, "partial", "report.md"))
		if bytes.Equal(a, b) {
			t.Error("the report of shards 0 and 1 alone equals the whole sweep's: the comparison above cannot fail")
		}
	}
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
