package explore

import (
	"crypto/sha256"
	"fmt"
	"os"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// pinnedPath is a counterexample (or a way to Options.Reach) a search
// finds, as pathText writes it, and what it ends in: the invariant broken
// (reachInvariant for a Reach target), by a step ("step"), by the end-of-run
// checks at a state where nothing more can happen ("end"), or a lasso.
type pinnedPath struct {
	name   string
	mutant string // "": msc4388
	o      Options
	inv    string
	kind   string
	// states is how many distinct states the search had met then.
	states int
	path   string
}

// pinnedPaths were recorded from the search that kept a tree node (parent
// and choice) for every state, before the paths came from the depth-first
// stack and the breadth-first frontier's nodes: the counterexamples must
// stay the same, step for step, in every mode and option.
var pinnedPaths = []pinnedPath{
	{"bfs shared-direction-key", "shared-direction-key", Options{Mode: "bfs"}, "nonce-unique", "step", 34, "1,2,4,5,7,9,10,11,6,15,16,18,13,20"},
	{"bfs shared-direction-key replayed", "shared-direction-key", Options{Mode: "bfs", SnapshotBytes: 1}, "nonce-unique", "step", 34, "1,2,4,5,7,9,10,11,6,15,16,18,13,20"},
	{"bfs ignore-etag", "ignore-etag", Options{Mode: "bfs", Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}}, "rendezvous-linearizable", "step", 70, "1,2,4,5,7,9,11,12,8,15,16,18,19,13,6,22,24,25,26,28,30"},
	{"bfs reach write_conflict", "", Options{Mode: "bfs", Loss: 1, Reach: "write_conflict", MaxStates: 200_000}, "reach", "step", 3570, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21l,18,23,24,26,27,28,30,31,32,34,35,36,38,39,40,42,43,44,46,47,48,50,51,52,54,55,56,58,59,19,60,63,64,61,67,68"},
	{"bfs secrets-before-device-check", "secrets-before-device-check", Options{Mode: "bfs"}, "secrets-only-after-confirmation", "step", 4644, "109 events, sha256 86f4db6a922c837c"},
	{"bfs no-check-code", "no-check-code", Options{Mode: "bfs"}, "secrets-only-after-confirmation", "step", 1454, "107 events, sha256 506fac515243c623"},
	{"bfs secrets-before-success", "secrets-before-success", Options{Mode: "bfs"}, "secrets-only-after-confirmation", "step", 632, "1,2,4,5,7,9,10,11,6,15,16,18,13,19,20,23,24,21,25,27,30,33,29,34,35,36,38,39,40,42,43,44,46,47,31,48,50,53,55,56,58,59,62,52,63,64,67,68,69,71,73"},
	{"dfs shared-direction-key", "shared-direction-key", Options{Mode: "dfs"}, "nonce-unique", "step", 20, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27"},
	{"dfs static-nonce", "static-nonce", Options{Mode: "dfs"}, "nonce-unique", "step", 28, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27,28,30,32,31,33,35,37,38"},
	{"dfs secrets-before-success", "secrets-before-success", Options{Mode: "dfs"}, "secrets-only-after-confirmation", "step", 66, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27,28,30,32,31,33,35,37,38,39,42,44,43,45,47,49,50,51,52,54,55,56,58,59,40,60,62,64,65,66,68,70,72,73,76,77,69,78,80,82,83,84,86,88,89,91,93"},
	{"dfs ignore-etag", "ignore-etag", Options{Mode: "dfs", Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}}, "rendezvous-linearizable", "step", 21, "1,2,4,5,7,9,11,12,8,15,16,18,19,13,6,22,24,25,26,28,30"},
	{"dfs ignore-etag replayed", "ignore-etag", Options{Mode: "dfs", Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}, SnapshotBytes: 1}, "rendezvous-linearizable", "step", 21, "1,2,4,5,7,9,11,12,8,15,16,18,19,13,6,22,24,25,26,28,30"},
	{"dfs no-expiry", "no-expiry", Options{Mode: "dfs", Loss: 1}, "termination", "end", 6391, "6362 events, sha256 e5bc1ebea09a7b23"},
	{"dfs accept-unexpected-messages", "accept-unexpected-messages", Options{Mode: "dfs", Adversaries: []string{"rogue-peer"}}, "unexpected-message-ends", "end", 728, "727 events, sha256 d7f91e4f1a2ce05a"},
	{"dfs sleep secrets-before-device-check", "secrets-before-device-check", Options{Mode: "dfs", POR: PORSleep}, "secrets-only-after-confirmation", "step", 124, "124 events, sha256 cc1162bc6024cff7"},
	{"dfs persistent static-nonce", "static-nonce", Options{Mode: "dfs", POR: PORPersistent}, "nonce-unique", "step", 28, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27,28,30,32,31,33,35,37,38"},
	{"dfs persistent no-expiry", "no-expiry", Options{Mode: "dfs", Loss: 1, POR: PORPersistent}, "termination", "end", 6391, "6362 events, sha256 e5bc1ebea09a7b23"},
	{"dfs subsume secrets-before-success", "secrets-before-success", Options{Mode: "dfs", Loss: 1, Dup: 1, Subsume: true}, "secrets-only-after-confirmation", "step", 66, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27,28,30,32,31,33,35,37,38,39,42,44,43,45,47,49,50,51,52,54,55,56,58,59,40,60,62,64,65,66,68,70,72,73,76,77,69,78,80,82,83,84,86,88,89,91,93"},
	{"dfs subsume no-expiry", "no-expiry", Options{Mode: "dfs", Loss: 1, Subsume: true}, "termination", "end", 6391, "6362 events, sha256 e5bc1ebea09a7b23"},
	{"dfs abstract shared-direction-key", "shared-direction-key", Options{Mode: "dfs", Time: TimeAbstract}, "nonce-unique", "step", 20, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27"},
	{"dfs abstract no-expiry", "no-expiry", Options{Mode: "dfs", Loss: 1, Time: TimeAbstract}, "liveness-lasso", "lasso", 457, "429 events, sha256 59446ac2b813a472"},
	{"dfs depth secrets-before-success", "secrets-before-success", Options{Mode: "dfs", Loss: 1, Depth: 80}, "secrets-only-after-confirmation", "step", 66, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27,28,30,32,31,33,35,37,38,39,42,44,43,45,47,49,50,51,52,54,55,56,58,59,40,60,62,64,65,66,68,70,72,73,76,77,69,78,80,82,83,84,86,88,89,91,93"},
	{"dfs depth replayed reach write_conflict", "", Options{Mode: "dfs", Loss: 1, Reach: "write_conflict", MaxStates: 50_000, Depth: 140, SnapshotBytes: 1}, "reach", "step", 214, "132 events, sha256 3c2ba6ac466ddc00"},
	{"dfs subsume reach write_conflict", "", Options{Mode: "dfs", Loss: 1, Dup: 1, Reach: "write_conflict", MaxStates: 50_000, Subsume: true}, "reach", "step", 1898, "132 events, sha256 3c2ba6ac466ddc00"},
	{"dfs abstract reach write_conflict", "", Options{Mode: "dfs", Loss: 1, Reach: "write_conflict", MaxStates: 50_000, Time: TimeAbstract}, "reach", "step", 672, "132 events, sha256 3c2ba6ac466ddc00"},
	{"dfs persistent reach write_conflict", "", Options{Mode: "dfs", Loss: 1, Reach: "write_conflict", MaxStates: 50_000, POR: PORPersistent}, "reach", "step", 629, "132 events, sha256 3c2ba6ac466ddc00"},
	{"dfs ignore-sequence-token", "ignore-sequence-token", Options{Mode: "dfs", Intent: qr.Reciprocate, Adversaries: []string{"shoulder-surfer"}}, "rendezvous-linearizable", "step", 21, "1,2,4,5,7,9,11,12,8,15,16,18,19,13,6,22,24,25,26,28,30"},
	{"dfs no-aad-binding", "no-aad-binding", Options{Mode: "dfs", Adversaries: []string{"splicer"}}, "channel-integrity", "step", 29, "3,4,2,6,7,8,10,13,15,16,18,19,12,21,22,23,11,25,27,28,29,32,34,36,38,39,30,41,42"},
	{"dfs reuse-ephemeral-key", "reuse-ephemeral-key", Options{Mode: "dfs", Intent: qr.Reciprocate, Adversaries: []string{"replayer"}, Seed: 3}, "channel-integrity", "step", 68, "1,2,4,5,8,7,10,12,13,14,17,19,6,15,21,23,24,25,27,29,28,30,32,34,35,36,38,40,18,43,44,46,48,39,41,50,52,53,54,57,59,61,62,64,65,67,68,70,71,74,75,58,76,78,80,81,82,83,85,86,47,89,90,92,94,87,96,97"},
	{"dfs careless no-whoami-check", "no-whoami-check", Options{Mode: "dfs", Adversaries: []string{"account-confusion"}, User: UserCareless, Pace: scanPace}, "signed-into-expected-account", "step", 285, "1,2,4,5,7,9,11,12,8,15,16,18,19,13,22,23,25,26,20,29,30,33,34,27,37,38,35,40,41,42,44,45,31b,46,48,50,51,52,54,56,58,59,62,63,55,64,66,68,69,70,72,74,75,77,79,80,81,83,85,87,88,73,84,90,92,93,94,96,98,99,100,102,103,104,106,107,108,110,111,95,112,114,116,117,118,120,122,121,125,126,123b"},
	{"bfs careless no-whoami-check", "no-whoami-check", Options{Mode: "bfs", Adversaries: []string{"account-confusion"}, User: UserCareless, Pace: scanPace}, "signed-into-expected-account", "step", 1440, "1,2,4,5,7,9,11,12,8,15,16,18,19,13,22,23,25,26,20,29,30,33,34,27,37,38,35,40,41,42,44,45,31b,46,48,50,51,52,54,56,58,59,62,63,55,64,66,69,71,72,73,75,77,68,78,79,80,82,85,87,88,83,90,91,92,94,95,96,98,99,100,102,103,84,104,106,108,109,110,112,114,113,117,118,115b"},
	{"bfs subsume reach write_conflict", "", Options{Mode: "bfs", Loss: 1, Dup: 1, Reach: "write_conflict", MaxStates: 200_000, Subsume: true}, "reach", "step", 895, "1,2,4,5,7,9,10,11,6,15,16,18d,13,21,23,19,25"},
	{"bfs abstract reach write_conflict", "", Options{Mode: "bfs", Loss: 1, Reach: "write_conflict", MaxStates: 200_000, Time: TimeAbstract}, "reach", "step", 2658, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21l,18,23,24,26,27,28,30,31,32,34,35,36,38,39,40,42,43,44,46,47,48,50,51,52,54,55,56,58,59,19,60,63,64,61,67,68"},
	{"dfs depth replayed static-nonce", "static-nonce", Options{Mode: "dfs", Depth: 40, SnapshotBytes: 1}, "nonce-unique", "step", 28, "1,2,4,5,7,9,10,11,6,13,15,16,17,20,21,18,22,24,26,27,28,30,32,31,33,35,37,38"},
	{"dfs reach write_conflict", "", Options{Mode: "dfs", Loss: 1, Reach: "write_conflict", MaxStates: 50_000}, "reach", "step", 629, "132 events, sha256 3c2ba6ac466ddc00"},
	{"dfs sleep reach write_conflict", "", Options{Mode: "dfs", Loss: 1, Reach: "write_conflict", MaxStates: 50_000, POR: PORSleep}, "reach", "step", 629, "132 events, sha256 3c2ba6ac466ddc00"},
	{"walk shared-direction-key", "shared-direction-key", Options{Mode: "walk", Walks: 3}, "nonce-unique", "step", 20, "1,2,4,5,7,9,10,11,6,13,15,17,16,19,21,20,24,22,27,25"},
}

// scanPace is the attack-account-confusion-blind-user scenario's user pace
// (as TestCarelessFindsNoWhoami's).
var scanPace = func() *sim.User {
	u := sim.DefaultUser()
	u.Scan = sim.Constant(60000)
	return &u
}()

// options are the case's exploration on w workers.
func (c pinnedPath) options(t *testing.T, w int) Options {
	o := c.o
	o.Seed, o.Workers = max(o.Seed, 1), w
	if o.Intent == 0 {
		o.Intent = qr.Login
	}
	if c.mutant == "" {
		o.Variant, o.VariantName = variant.MustLoad("msc4388"), "msc4388"
		return o
	}
	v, err := variant.LoadMutant(c.mutant)
	if err != nil {
		t.Fatal(err)
	}
	o.Variant, o.VariantName = v, c.mutant
	return o
}

// TestCounterexamplePaths: each search finds the counterexample it found
// when every state kept a tree node, step for step (breadth first on one
// and two workers, depth first on one, under sleep and persistent sets,
// budget subsumption, the time abstraction, a depth bound, a Reach target
// and with every state reached again by replaying its path), and each path
// replays in the simulator to the same violation, by a step or by the
// end-of-run checks as recorded. QRLAB_RECORD_PATHS=1 logs the paths
// found instead of comparing them.
func TestCounterexamplePaths(t *testing.T) {
	record := os.Getenv("QRLAB_RECORD_PATHS") != ""
	for _, c := range pinnedPaths {
		workers := []int{1}
		if c.o.Mode == "bfs" {
			workers = []int{1, 2}
		}
		for _, w := range workers {
			o := c.options(t, w)
			res, err := Explore(o)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			inv := reachInvariant
			if res.Violation != nil {
				inv = res.Violation.Invariant
			} else if res.Reached == "" {
				t.Errorf("%s, %d workers: nothing found in %d states (cut %q)", c.name, w, res.States, res.Cut)
				continue
			}
			kind, err := replayKind(o, res.Path, inv)
			if err != nil {
				t.Errorf("%s, %d workers: %v", c.name, w, err)
				continue
			}
			got := pathText(res.Path)
			if record {
				t.Logf("%s, %d workers: %s %s %d states %d events %.1f s\n\t%q", c.name, w, inv, kind, res.States, len(res.Path), res.Elapsed.Seconds(), got)
				continue
			}
			if inv != c.inv || kind != c.kind || got != c.path || res.States != c.states {
				t.Errorf("%s, %d workers: %s by %s after %d states at\n\t%s\nwant %s by %s after %d states at\n\t%s", c.name, w, inv, kind, res.States, got,
					c.inv, c.kind, c.states, c.path)
			}
		}
	}
}

// replayKind replays path and says whether it ends in inv by its last step
// ("step") or by the end-of-run checks ("end").
func replayKind(o Options, path []Step, inv string) (string, error) {
	if len(path) == 0 {
		return "", fmt.Errorf("an empty path")
	}
	r, err := o.Runner(false)
	if err != nil {
		return "", err
	}
	if err := o.Replay(r, path[:len(path)-1]); err != nil {
		return "", err
	}
	if v := o.stop(r); v != nil {
		return "", fmt.Errorf("the path %s meets %s before its last step", FormatPath(path), v.Invariant)
	}
	if inv == InvLasso {
		return "lasso", replaysLasso(o, path)
	}
	_, res, err := Trace(o, path)
	if err != nil {
		return "", err
	}
	if res.Violation == nil || res.Violation.Invariant != inv {
		return "", fmt.Errorf("replaying %s gave %v, want %s", FormatPath(path), res.Violation, inv)
	}
	r2, err := o.Runner(false)
	if err != nil {
		return "", err
	}
	if err := o.Replay(r2, path); err != nil {
		return "", err
	}
	if o.stop(r2) != nil {
		return "step", nil
	}
	return "end", nil
}

// replaysLasso checks that path, replayed as the search runs it, comes
// back to a state it was in before.
func replaysLasso(o Options, path []Step) error {
	e := &explorer{o: o}
	w, err := e.newWorker()
	if err != nil {
		return err
	}
	if err := o.Replay(w.r, nil); err != nil {
		return err
	}
	fp, _ := w.r.Fingerprint()
	met := map[sim.Fingerprint]bool{fp: true}
	for i, s := range path {
		if err := w.r.Take(sim.Choice{Seq: s.Seq, Fault: s.Fault}); err != nil {
			return err
		}
		fp, _ := w.r.Fingerprint()
		if met[fp] {
			if i != len(path)-1 {
				return fmt.Errorf("the lasso %s closes at step %d of %d", FormatPath(path), i+1, len(path))
			}
			return nil
		}
		met[fp] = true
	}
	return fmt.Errorf("the lasso %s comes back to no state", FormatPath(path))
}

// pathText is FormatPath's text of p, or for a path of more than 300
// characters its length in events and the start of its text's SHA-256.
func pathText(p []Step) string {
	s := FormatPath(p)
	if len(s) <= 300 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%d events, sha256 %x", len(p), sum[:8])
}
