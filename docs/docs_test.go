// Package docs tests the module's documentation: every shell command and
// JSON block of README.md and scenarios/README.md runs (scaled down) or
// parses, so that what a reader copies keeps working.
package docs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"qrlab/scenarios"
)

// root is the module's root, seen from this package.
const root = ".."

// docFiles are the documents whose blocks are checked.
var docFiles = []string{"README.md", "scenarios/README.md"}

// skipped are the commands not run, each with its reason: they need the
// network, run forever or for minutes, or show a cluster's paths. A
// command of a document that is neither run nor listed here fails the test.
var skipped = map[string]string{
	"go test ./...": "the whole test suite (it contains this test)",
	"simrun mutants --patches lab/mutants/testdata/patches --budget 60s --md table.md":                                     "copies, patches, builds and judges the module once per patch (minutes); TestPatchesApply checks the set, QRLAB_PATCHES=1 go test ./lab/mutants -run TestPatchesCaught runs it",
	`simrun fuzz-peer --peer "node lab/interop/testdata/interop/fuzzpeer.mjs" --construction ecies-vodozemac --budget 20s`: "needs the npm packages lab/interop's tests install, which a clean clone lacks while go test runs packages side by side; .ci/run runs this very command after go test",
	`simrun fuzz-qr --peer "node lab/interop/testdata/interop/qrdiff.mjs" --budget 5s`:                                     "needs the npm packages lab/interop's tests install, as above; .ci/run runs the same command (10 s) after go test",
	"simrun sweep generations --shard $JOB_COMPLETION_INDEX/8 --out /data/s$JOB_COMPLETION_INDEX --resume":                 "a Kubernetes pod's command: /data is its volume (go test ./deploy runs shards and merges them)",
	"simrun merge --out out/gen /data/s0 /data/s1 ...":                                                                     "a Kubernetes job's command with the shard list elided (go test ./deploy runs it)",
}

// block is one indented code block of a document.
type block struct {
	file  string
	line  int // of its first line
	lines []string
}

func (b block) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// blocks returns the indented (four-space) code blocks of a Markdown file.
func blocks(t *testing.T, file string) []block {
	t.Helper()
	f, err := os.Open(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []block
	var cur *block
	prevBlank := true
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "    ") && (cur != nil || prevBlank):
			if cur == nil {
				out = append(out, block{file: file, line: n})
				cur = &out[len(out)-1]
			}
			cur.lines = append(cur.lines, line[4:])
		case strings.TrimSpace(line) == "" && cur != nil:
			cur = nil
		default:
			cur = nil
		}
		prevBlank = strings.TrimSpace(line) == ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// commands splits a block into commands: continuation lines joined,
// comments cut, go run ./cmd/simrun written as simrun.
func commands(b block) []string {
	var out []string
	var cur string
	for _, l := range b.lines {
		l = strings.TrimSpace(l)
		if cont, ok := strings.CutSuffix(l, "\\"); ok {
			cur += strings.TrimSpace(cont) + " "
			continue
		}
		cur += l
		if i := strings.Index(cur, " #"); i >= 0 {
			cur = cur[:i]
		}
		cur = strings.TrimSpace(cur)
		if c, ok := strings.CutPrefix(cur, "go run ./cmd/simrun"); ok {
			cur = "simrun" + c
		}
		out = append(out, cur)
		cur = ""
	}
	return out
}

// kind says what a block holds: "json", "commands", or "output" (a sample
// of what a command prints, which nothing runs).
func kind(b block) string {
	first := strings.TrimSpace(b.lines[0])
	switch {
	case strings.HasPrefix(first, "{"):
		return "json"
	case strings.HasPrefix(first, "simrun ") || strings.HasPrefix(first, "go "):
		return "commands"
	}
	return "output"
}

// TestDocBlocks checks every block of the documents: JSON blocks parse (a
// scenario is loaded with scenarios.Parse and resolved, a network object
// inside a scenario), commands run scaled down, each in its own folder.
func TestDocBlocks(t *testing.T) {
	simrun := buildSimrun(t)
	scenarioExample := ""
	var cmdBlocks []block
	jsonBlocks := 0
	seen := map[string]bool{}
	for _, file := range docFiles {
		for _, b := range blocks(t, file) {
			switch kind(b) {
			case "json":
				jsonBlocks++
				text := strings.Join(b.lines, "\n")
				checkJSON(t, b, text)
				if strings.Contains(text, `"name": "mine", "variant"`) {
					scenarioExample = text
				}
			case "commands":
				cmdBlocks = append(cmdBlocks, b)
			}
		}
	}
	if jsonBlocks < 3 {
		t.Errorf("found %d JSON blocks, want at least 3 (README's scenario, scenarios/README's network and sweep)", jsonBlocks)
	}
	if scenarioExample == "" {
		t.Fatal("README.md has no scenario example named mine: the run and sweep commands use it as mine.json")
	}
	for _, b := range cmdBlocks {
		t.Run(b.String(), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "mine.json"), []byte(scenarioExample), 0o644); err != nil {
				t.Fatal(err)
			}
			cmds := commands(b)
			for i := 0; i < len(cmds); i++ {
				c := cmds[i]
				seen[c] = true
				if why, ok := skipped[c]; ok {
					t.Logf("skipped %q: %s", c, why)
					continue
				}
				if strings.HasPrefix(c, "simrun serve") && i+1 < len(cmds) && strings.HasPrefix(cmds[i+1], "simrun probe") {
					seen[cmds[i+1]] = true
					servePair(t, simrun, dir, c, cmds[i+1])
					i++
					continue
				}
				run(t, simrun, dir, scale(c))
			}
		})
	}
	for c := range skipped {
		if !seen[c] {
			t.Errorf("skip list names %q, which no document holds any more", c)
		}
	}
}

// checkJSON parses a JSON block; a scenario (it has a variant) is loaded
// with scenarios.Parse and resolved; a network object is resolved inside a
// scenario.
func checkJSON(t *testing.T, b block, text string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Errorf("%s: not valid JSON: %v", b, err)
		return
	}
	if _, ok := m["link"]; ok {
		text = `{"name": "net", "variant": "msc4388", "network": ` + text + `}`
	} else if _, ok := m["variant"]; !ok {
		return
	}
	sc, err := scenarios.Parse([]byte(text), b.String())
	if err != nil {
		t.Errorf("%s: scenarios.Parse: %v", b, err)
		return
	}
	if _, err := sc.Config(); err != nil {
		t.Errorf("%s: the scenario does not resolve: %v", b, err)
	}
	if len(sc.Sweep) > 0 {
		if _, err := sc.Points(); err != nil {
			t.Errorf("%s: the sweep's grid: %v", b, err)
		}
	}
}

var (
	runsFlag   = regexp.MustCompile(`--runs \d+`)
	budgetFlag = regexp.MustCompile(`--budget \S+`)
	targetFlag = regexp.MustCompile(`--target \S+`)
)

// scale makes a command small: two runs, a one-second fuzz budget for one
// target (the ceiling), one seed per honest preset of simrun mutants.
func scale(c string) string {
	f := strings.Fields(c)
	if len(f) == 0 || f[0] != "simrun" {
		return c
	}
	sub := ""
	if len(f) > 1 && !strings.HasPrefix(f[1], "-") {
		sub = f[1]
	}
	if len(f) == 1 {
		return "simrun run --runs 2"
	}
	switch sub {
	case "", "run", "sweep":
		if runsFlag.MatchString(c) {
			return runsFlag.ReplaceAllString(c, "--runs 2")
		}
		return c + " --runs 2"
	case "fuzz":
		if strings.Contains(c, "--list") {
			return c
		}
		c = targetFlag.ReplaceAllString(budgetFlag.ReplaceAllString(c, ""), "")
		return c + " --budget 1s --target ./fuzz/ceiling:FuzzEmpty --minimize 0"
	case "mutants":
		// A mutant is caught within a share of the budget; no-expiry needs
		// swarm runs, which a loaded machine fits in 1 s only sometimes.
		// The command ends as soon as every mutant is caught.
		return budgetFlag.ReplaceAllString(c, "--budget 10s") + " --honest-seeds 1"
	}
	return c
}

// run runs one command with bash in dir, simrun on the PATH, and fails the
// test on a non-zero exit.
func run(t *testing.T, simrun, dir, c string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", c)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(simrun)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"JOB_COMPLETION_INDEX=0")
	if strings.HasPrefix(c, "simrun fuzz") {
		cmd.Dir = absRoot(t) // it fuzzes the module
	}
	began := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s\n%v\n%s", c, err, tail(out))
	}
	t.Logf("%s (%.1fs)", c, time.Since(began).Seconds())
}

// servePair runs a serve command on a free loopback port and the probe that
// follows it against that port.
func servePair(t *testing.T, simrun, dir, serve, probe string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append(strings.Fields(serve)[1:], "--addr", addr, "--log", "off")
	srv := exec.Command(simrun, args...)
	srv.Dir = dir
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "listening on") {
				ok = true
				listening <- true
			}
		}
		if !ok {
			listening <- false
		}
	}()
	if !<-listening {
		t.Fatalf("%s: did not listen", serve)
	}
	run(t, simrun, dir, strings.ReplaceAll(probe, "http://127.0.0.1:8008", "http://"+addr))
}

func buildSimrun(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "simrun")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/simrun")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/simrun: %v\n%s", err, out)
	}
	return bin
}

func absRoot(t *testing.T) string {
	d, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tail(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
