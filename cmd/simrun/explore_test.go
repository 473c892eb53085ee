package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"qrlab/lab/explore"
	"qrlab/model/qr"
	"qrlab/sim"
)

// TestExploreMutant: simrun explore finds the shared-direction-key mutant,
// exits 1, prints the counterexample as JSON lines and Mermaid, and its
// replay command gives the same violation.
func TestExploreMutant(t *testing.T) {
	code, out, errs := simrun(t, "explore", "--variant", "shared-direction-key", "--budget", "60s")
	if code != 1 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	for _, want := range []string{"VIOLATION nonce-unique", "counterexample:", `"kind":`, "sequenceDiagram"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`--path (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no replay command in:\n%s", out)
	}
	code, out, errs = simrun(t, "explore", "--variant", "shared-direction-key", "--path", m[1])
	if code != 1 || !strings.Contains(out, "VIOLATION nonce-unique") {
		t.Errorf("replay: exit %d, stdout %s, stderr %s", code, out, errs)
	}
}

// TestExploreUsage: bad flags and paths exit 2 with a line naming them.
func TestExploreUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "sideways"}, "--mode"},
		{[]string{"--variant", "nosuch"}, "--variant"},
		{[]string{"--intent", "show"}, "--intent"},
		{[]string{"--loss", "-1"}, "loss"},
		{[]string{"--path", "1,x"}, "--path"},
		{[]string{"--path", "77"}, "--path"},
		{[]string{"--por", "persistent"}, "--por"},
		{[]string{"--por", "sleep"}, "--por"}, // breadth first
		{[]string{"--user", "sloppy"}, "--user"},
		{[]string{"--pace", "nosuch"}, "--pace"},
		{[]string{"--path", "4c"}, "--path"}, // a decision needs --user careless
	} {
		code, _, errs := simrun(t, append([]string{"explore"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}

// TestExploreProfiles: --cpuprofile and --memprofile write pprof files
// (gzip-compressed protocol buffers) of a search, a profile file that
// cannot be created (either one) is a usage error naming the flag and the
// file before any search,
// and --help lists both flags.
func TestExploreProfiles(t *testing.T) {
	tmp := t.TempDir()
	cpu, mem := filepath.Join(tmp, "cpu.prof"), filepath.Join(tmp, "mem.prof")
	code, out, errs := simrun(t, "explore", "--depth", "8", "--mode", "dfs", "--cpuprofile", cpu, "--memprofile", mem)
	if code != 0 || !strings.Contains(out, "no violation") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a pprof file (%d bytes, %v)", f, len(b), err)
		}
	}
	bad := filepath.Join(tmp, "no", "such", "dir", "cpu.prof")
	code, out, errs = simrun(t, "explore", "--depth", "8", "--cpuprofile", bad)
	if code != 2 || !strings.Contains(errs, "--cpuprofile") || !strings.Contains(errs, bad) || out != "" {
		t.Errorf("unwritable cpu profile: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	bad = filepath.Join(tmp, "no", "such", "dir", "mem.prof")
	code, out, errs = simrun(t, "explore", "--depth", "8", "--memprofile", bad)
	if code != 2 || !strings.Contains(errs, "--memprofile") || !strings.Contains(errs, bad) || out != "" {
		t.Errorf("unwritable memory profile: exit %d, stderr %q", code, errs)
	}
	code, _, errs = simrun(t, "explore", "--help")
	if code != 0 || !strings.Contains(errs, "--cpuprofile FILE") || !strings.Contains(errs, "-memprofile") {
		t.Errorf("--help: exit %d, lacks the profile flags:\n%s", code, errs)
	}
}

// TestExploreHonestDepth: an honest preset explored to a small depth has no
// violation and says it was cut by the depth.
func TestExploreHonestDepth(t *testing.T) {
	code, out, errs := simrun(t, "explore", "--depth", "12", "--loss", "1")
	if code != 0 || !strings.Contains(out, "cut by depth") || !strings.Contains(out, "no violation") {
		t.Errorf("exit %d, stdout %s, stderr %s", code, out, errs)
	}
}

// TestExploreReach: a design question whose target the bounds do not reach
// says so and exits 0.
func TestExploreReach(t *testing.T) {
	code, out, errs := simrun(t, "explore", "--depth", "10", "--reach", "write_conflict")
	if code != 0 || !strings.Contains(out, "no device ended write_conflict within the bounds explored") {
		t.Errorf("exit %d, stdout %s, stderr %s", code, out, errs)
	}
}

// TestExplorePOR: --por sleep in depth-first mode reports the reduction and
// the same number of distinct states as the plain search.
func TestExplorePOR(t *testing.T) {
	states := regexp.MustCompile(`(\d+) distinct states`)
	var got [2]string
	for i, p := range []string{"none", "sleep"} {
		code, out, errs := simrun(t, "explore", "--mode", "dfs", "--depth", "16", "--loss", "1", "--dup", "1", "--por", p)
		if code != 0 || !strings.Contains(out, "cut by depth") {
			t.Fatalf("--por %s: exit %d, stdout %s, stderr %s", p, code, out, errs)
		}
		if m := states.FindStringSubmatch(out); m != nil {
			got[i] = m[1]
		}
		if p == "sleep" && !strings.Contains(out, "partial-order reduction sleep:") {
			t.Errorf("--por sleep: no reduction line in:\n%s", out)
		}
	}
	if got[0] == "" || got[0] != got[1] {
		t.Errorf("distinct states: %q plain, %q with sleep sets", got[0], got[1])
	}
}

// TestExploreCareless: with --user careless the no-whoami-check mutant is
// found under the account-confusion attack, the counterexample counts the
// user's decisions, and its replay command (which names the careless user
// and the pace) gives the same violation.
func TestExploreCareless(t *testing.T) {
	args := []string{"explore", "--variant", "no-whoami-check", "--adversary", "account-confusion", "--user", "careless",
		"--pace", "attack-account-confusion-blind-user", "--budget", "60s"}
	code, out, errs := simrun(t, args...)
	if code != 1 || !strings.Contains(out, "VIOLATION signed-into-expected-account") {
		t.Fatalf("exit %d, stderr %s, stdout %s", code, errs, out)
	}
	m := regexp.MustCompile(`\((\d+) of them the user's decisions\); replay: simrun (explore .*--user careless --pace attack-account-confusion-blind-user --path \S+)`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Fatalf("no replay command with the user's decisions in:\n%s", out)
	}
	code, out, errs = simrun(t, strings.Fields(m[2])...)
	if code != 1 || !strings.Contains(out, "VIOLATION signed-into-expected-account") {
		t.Errorf("replay: exit %d, stdout %s, stderr %s", code, out, errs)
	}
}

// TestExploreResets: one connection reset is enough for write_conflict
// (the client hears the transport error at once and retries a write the
// other side has moved past); the path marks the reset with x and
// replays. --reorder is accepted with a note that it needs no budget.
func TestExploreResets(t *testing.T) {
	code, out, errs := simrun(t, "explore", "--resets", "1", "--reach", "write_conflict", "--reorder", "1", "--budget", "60s")
	if code != 0 || !strings.Contains(out, "reached write_conflict") || !strings.Contains(errs, "--reorder needs no budget") {
		t.Fatalf("exit %d, stdout %s, stderr %s", code, out, errs)
	}
	m := regexp.MustCompile(`--resets 1 --reach write_conflict --path (\S*\dx\S*)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no replay with a reset in:\n%s", out)
	}
	code, out, errs = simrun(t, "explore", "--resets", "1", "--reach", "write_conflict", "--path", m[1])
	if code != 0 || !strings.Contains(out, "reached write_conflict") || !strings.Contains(out, "transport error: connection reset") {
		t.Errorf("replay: exit %d, stdout %s, stderr %s", code, out, errs)
	}
}

// TestReplayCommand: the replay command names the variant, the intent,
// every bound and the seed whatever their value, then each other setting
// that is not its flag's default, then the path.
func TestReplayCommand(t *testing.T) {
	path := []explore.Step{{Seq: 3}, {Seq: 7, Fault: sim.FaultLose}}
	for _, c := range []struct {
		o    explore.Options
		want string
	}{
		{explore.Options{VariantName: "msc4388", Intent: qr.Login, LatencyMillis: 200, Seed: 1},
			"simrun explore --variant msc4388 --intent login --loss 0 --dup 0 --latency 200 --seed 1 --path 3,7l"},
		{explore.Options{VariantName: "no-whoami-check", Intent: qr.Reciprocate, Loss: 1, Dup: 2, Resets: 1, LatencyMillis: 50, Seed: 4,
			Adversaries: []string{"camera", "replayer"}, User: explore.UserCareless, PaceName: "attack-account-confusion-blind-user", Reach: "write_conflict"},
			"simrun explore --variant no-whoami-check --intent reciprocate --loss 1 --dup 2 --latency 50 --seed 4 --resets 1 --adversary camera,replayer" +
				" --user careless --pace attack-account-confusion-blind-user --reach write_conflict --path 3,7l"},
		{explore.Options{VariantName: "msc4108-2024", Intent: qr.Login, LatencyMillis: 200, Seed: 1, User: explore.UserAttentive},
			"simrun explore --variant msc4108-2024 --intent login --loss 0 --dup 0 --latency 200 --seed 1 --path 3,7l"},
	} {
		if got := replayCommand(c.o, path); got != c.want {
			t.Errorf("replayCommand:\n got %s\nwant %s", got, c.want)
		}
	}
}
