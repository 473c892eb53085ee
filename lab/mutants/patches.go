package mutants

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"qrlab/lab"
)

// Patches are implementation bugs written as unified diffs against the
// tree (testdata/patches holds the project's own set). Each is applied to
// a scratch copy of the module, the copy's simrun is built, and its
// simulation battery (Battery) runs there: only the simulator's monitors
// judge, no unit test runs.

// PatchRow is one patch's line of the table.
type PatchRow struct {
	Patch string `json:"patch"`
	// Imitates is the patch's header: the real-world bug it imitates.
	Imitates string `json:"imitates,omitempty"`
	Applies  bool   `json:"applies"`
	Builds   bool   `json:"builds"`
	Caught   bool   `json:"caught"`
	// Found is the battery's first finding; Battery what it ran.
	Found   *Finding       `json:"found,omitempty"`
	Battery *BatteryResult `json:"battery,omitempty"`
	Error   string         `json:"error,omitempty"`
	WallMs  float64        `json:"wall_ms"`
}

// Baseline is the name of the row for the unchanged tree.
const Baseline = "(unchanged tree)"

// ListPatches returns the .patch files of dir, sorted.
func ListPatches(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.patch"))
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s: no .patch files", dir)
	}
	sort.Strings(m)
	return m, nil
}

// PatchHeader is the text before a patch's first diff, without comment
// marks: what the patch says it imitates.
func PatchHeader(patch []byte) string {
	var out []string
	for _, l := range strings.Split(string(patch), "\n") {
		if strings.HasPrefix(l, "diff ") || strings.HasPrefix(l, "--- ") {
			break
		}
		l = strings.TrimSpace(strings.TrimLeft(l, "#"))
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}

// ModuleRoot finds the qrlab module's directory at or above dir.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module qrlab\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no qrlab go.mod at or above %s (run from inside the module, or give --module)", dir)
		}
	}
}

// CopyModule copies the module at root to dst, without its git metadata,
// node_modules and built binaries.
func CopyModule(root, dst string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.Name() == ".git" || d.Name() == "node_modules" || rel == "simrun" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// ApplyPatch applies patch to the tree at dir with git apply (which works
// outside a repository); the error carries git's words.
func ApplyPatch(ctx context.Context, dir, patch string, check bool) error {
	args := []string{"apply", "--whitespace=nowarn"}
	if check {
		args = append(args, "--check")
	}
	abs, err := filepath.Abs(patch)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "git", append(args, abs)...)
	cmd.Dir = dir
	// A scratch copy is no repository: keep git from looking above it.
	cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git apply %s: %v: %s", filepath.Base(patch), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// PatchOptions bound a patch hunt.
type PatchOptions struct {
	Root     string        // the module to copy
	Budget   time.Duration // the battery's budget per patch
	MaxSeeds int
	Workers  int  // patches at once (each battery runs on one core)
	Baseline bool // also run the battery on the unchanged tree first
	// Explore judges by the explorer battery (ExploreBattery) instead of
	// the simulation battery.
	Explore bool
	// Log, when set, is told of each row as it finishes.
	Log io.Writer
}

// HuntPatches applies each patch to its own scratch copy of the module,
// builds that copy's simrun and runs its simulation battery; it returns
// one row per patch (the unchanged tree's first, with Baseline).
func HuntPatches(patches []string, o PatchOptions) []PatchRow {
	names := patches
	if o.Baseline {
		names = append([]string{""}, patches...)
	}
	rows := make([]PatchRow, len(names))
	lab.Each(len(names), max(o.Workers, 1), func(i int) {
		rows[i] = huntPatch(names[i], o)
		if o.Log != nil {
			r := &rows[i]
			fmt.Fprintf(o.Log, "%s: %s\n", r.Patch, verdict(r))
		}
	})
	return rows
}

// huntPatch is one patch ("" the unchanged tree).
func huntPatch(patch string, o PatchOptions) PatchRow {
	start := time.Now()
	row := PatchRow{Patch: Baseline}
	done := func(err error) PatchRow {
		if err != nil {
			row.Error = err.Error()
		}
		row.WallMs = float64(time.Since(start).Microseconds()) / 1000
		return row
	}
	if patch != "" {
		row.Patch = filepath.Base(patch)
		b, err := os.ReadFile(patch)
		if err != nil {
			return done(err)
		}
		row.Imitates = PatchHeader(b)
	}
	tmp, err := os.MkdirTemp("", "qrlab-patch-")
	if err != nil {
		return done(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "qrlab")
	if err := CopyModule(o.Root, dir); err != nil {
		return done(fmt.Errorf("copying the module: %v", err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*o.Budget+10*time.Minute)
	defer cancel()
	if patch != "" {
		if err := ApplyPatch(ctx, dir, patch, false); err != nil {
			return done(err)
		}
	}
	row.Applies = true
	bin := filepath.Join(tmp, "simrun")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/simrun")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		return done(fmt.Errorf("build: %v: %s", err, lastLines(out, 6)))
	}
	row.Builds = true
	args := []string{"mutants", "--sim-battery", "--budget", o.Budget.String(), "--max-seeds", fmt.Sprint(o.MaxSeeds), "--workers", "1"}
	if o.Explore {
		args = []string{"mutants", "--explore-battery", "--budget", o.Budget.String()}
	}
	run := exec.CommandContext(ctx, bin, args...)
	run.Dir = dir
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	err = run.Run()
	var res BatteryResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		if err == nil {
			err = jerr
		}
		// The battery itself died (a crash outside any run, or a hang):
		// the simulation did not complete, which is a finding of its own.
		var ee *exec.ExitError
		if errors.As(err, &ee) || ctx.Err() != nil {
			row.Caught = true
			row.Found = &Finding{Invariant: "battery-crashed", Detail: lastLines(stderr.Bytes(), 3), SimMillis: -1}
		}
		return done(fmt.Errorf("battery: %v: %s", err, lastLines(stderr.Bytes(), 6)))
	}
	row.Battery = &res
	row.Found = res.Found
	row.Caught = res.Found != nil
	return done(nil)
}

func lastLines(b []byte, n int) string {
	l := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

func verdict(r *PatchRow) string {
	switch {
	case !r.Applies:
		return "does not apply: " + r.Error
	case !r.Builds:
		return "does not build: " + r.Error
	case r.Caught && r.Found != nil && r.Found.explored():
		return fmt.Sprintf("caught by %s (%s, at %d ms simulated)", r.Found.Invariant, r.Found.Probe, r.Found.SimMillis)
	case r.Caught && r.Found != nil:
		return fmt.Sprintf("caught by %s (%s, seed %d, %d ms simulated)", r.Found.Invariant, r.Found.Probe, r.Found.Seed, r.Found.SimMillis)
	case r.Error != "":
		return "error: " + r.Error
	}
	runs := 0
	if r.Battery != nil {
		runs = r.Battery.Runs
	}
	return fmt.Sprintf("not caught in %d runs", runs)
}

// PatchTotals counts the patches (the baseline row aside) that built and
// that the simulation caught.
func PatchTotals(rows []PatchRow) (patches, built, caught int) {
	for _, r := range rows {
		if r.Patch == Baseline {
			continue
		}
		patches++
		if r.Builds {
			built++
		}
		if r.Caught {
			caught++
		}
	}
	return patches, built, caught
}

// WritePatchTable prints the rows as a text table.
func WritePatchTable(w io.Writer, rows []PatchRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATCH\tBUILDS\tCAUGHT\tFIRST INVARIANT\tPRESET AND PROBE\tSEED\tSIM TIME\tRUNS\tWALL")
	for i := range rows {
		c := patchCells(&rows[i])
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
	}
	tw.Flush()
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.Patch, r.Error)
		}
	}
}

// WritePatchMarkdown writes the rows as a Markdown table, then each
// finding's detail and replay command.
func WritePatchMarkdown(w io.Writer, rows []PatchRow) {
	fmt.Fprintln(w, "| patch | builds | caught by simulation | first invariant | preset and probe | seed | simulated time | runs | wall |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for i := range rows {
		c := patchCells(&rows[i])
		fmt.Fprintf(w, "| %s |\n", strings.Join(c[:], " | "))
	}
	n, built, caught := PatchTotals(rows)
	fmt.Fprintf(w, "\n%d patches, %d build, caught by simulation alone: %d of %d (%.0f%%)\n", n, built, caught, n, pct(caught, n))
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprintf(w, "- `%s`: %s", r.Patch, verdict(&r))
		if r.Imitates != "" {
			fmt.Fprintf(w, ". Imitates: %s", strings.TrimSuffix(r.Imitates, "."))
		}
		if r.Found != nil && r.Found.Detail != "" {
			fmt.Fprintf(w, ". Detail: %s", r.Found.Detail)
		}
		if r.Found != nil && r.Found.Replay != "" {
			fmt.Fprintf(w, ". Replay (in the patched tree): `%s`", r.Found.Replay)
		}
		fmt.Fprintln(w)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func patchCells(r *PatchRow) [9]string {
	c := [9]string{r.Patch, "no", "no", "-", "-", "-", "-", "-", fmt.Sprintf("%.1f s", r.WallMs/1000)}
	if !r.Applies {
		c[1] = "does not apply"
	} else if r.Builds {
		c[1] = "yes"
	}
	if r.Caught {
		c[2] = "yes"
	}
	if f := r.Found; f != nil {
		c[3] = f.Invariant
		if f.Preset != "" {
			c[4] = f.Preset + " " + f.Probe
			c[5] = fmt.Sprint(f.Seed)
			if f.explored() {
				c[5] = "-" // a path, not a seed: the replay command has it
			}
		}
		if f.SimMillis >= 0 {
			c[6] = fmt.Sprintf("%.1f s", float64(f.SimMillis)/1000)
		}
	}
	if r.Battery != nil {
		c[7] = fmt.Sprint(r.Battery.Runs)
	}
	return c
}

// explored reports whether the finding is the explorer battery's (a path,
// not a seed).
func (f *Finding) explored() bool { return strings.HasPrefix(f.Probe, "explore ") }
