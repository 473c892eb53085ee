package fuzz

import (
	"os"
	"strings"
	"testing"

	"qrlab/scenarios"
	"qrlab/sim"
)

// TestRetryReseals is the regression test of a finding of
// FuzzSimVariantKnobs: with flow.write_conflict "retry", the writer of a PUT
// whose answer was lost retried, met the conflict its own first write had
// caused (412 with an ETag, 409 in the 2025 API), re-read the mailbox and
// wrote the same payload again behind the peer's back; the peer read one
// copy, the other was overwritten unread, and the existing device sent the
// secrets to a new device that could not open them (strict-alternation).
// The re-read now recognises the device's own payload as a landed write.
// The recorded seeds, and a few hundred more on each network, must pass.
func TestRetryReseals(t *testing.T) {
	for _, tc := range []struct {
		network string
		seed    uint64
	}{{"4g", 516}, {"lossy-3g", 2}, {"flaky", 44}} {
		file := `{"name": "retry-reseals", "variant": "msc4108-2024", "network": "` + tc.network + `",
 "set": {"variant.flow.write_conflict": "retry"}, "runs": 1, "seed": 1}`
		r := findingRunner(t, []byte(file), "retry-reseals.json", false)
		seeds := []uint64{tc.seed}
		for s := uint64(1000); s < 1200; s++ {
			seeds = append(seeds, s)
		}
		for _, seed := range seeds {
			res, err := r.Run(seed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Violation != nil {
				t.Fatalf("%s seed %d: %v", tc.network, seed, res.Violation)
			}
		}
	}
}

// TestCameraLostCorruptAnswer is the regression test of a finding of
// TestSimSchedules (rapid seed 15328296707778556742): the camera corrupted
// the payload of an answer to N's read, the network then lost that answer,
// and N, which never received the corrupted payload, ended by its own
// timeout; the camera's checker had counted the payload as handed over
// when the store served it, and judged cause-ends-with-its-reason
// violated. A corrupted payload now counts as received when its answer
// arrives. The test checks that the run still has both facts (the
// corruption and the loss of that answer) and that it holds every
// invariant.
func TestCameraLostCorruptAnswer(t *testing.T) {
	r, res := runFinding(t, "camera-lost-corrupt-answer.json", 4)
	corruptAt, lost := corruptedThen(r, func(e *sim.Event) bool {
		return e.Kind == sim.EvDrop && e.Actor == sim.ActorHomeserver && e.Peer == sim.ActorNew
	})
	if corruptAt < 0 || !lost {
		t.Fatalf("the run no longer loses the corrupted answer (corrupted at %d ms, lost %v): the finding is not exercised", corruptAt, lost)
	}
	if res.Violation != nil {
		t.Fatalf("seed 4: %v", res.Violation)
	}
}

// TestCameraCorruptThen404 is the regression test of a finding of
// TestSimSchedules (msc4108-2024 on a flaky 4G link, seed 229): the camera
// corrupted the payload of an answer to N's read, and the
// malicious-rendezvous adversary then answered that read 404 as if the
// session were gone; N ended rendezvous_expired on the 404, never having
// received the corrupted payload, but the camera's checker had noted the
// corruption when the camera wrote it and judged cause-ends-with-its-reason
// violated. A corrupted payload now counts as handed over only if the
// answer that leaves the server is still the corrupted one. The test
// checks that the run still has both acts on the same answer and that it
// holds every invariant.
func TestCameraCorruptThen404(t *testing.T) {
	r, res := runFinding(t, "camera-corrupt-then-404.json", 229)
	corruptAt, answered404 := corruptedThen(r, func(e *sim.Event) bool {
		return e.Kind == sim.EvFault && e.Peer == sim.ActorNew && strings.Contains(e.Name, "answers 404")
	})
	if corruptAt < 0 || !answered404 {
		t.Fatalf("the run no longer answers the corrupted read 404 (corrupted at %d ms, 404 %v): the finding is not exercised", corruptAt, answered404)
	}
	if res.Violation != nil {
		t.Fatalf("seed 229: %v", res.Violation)
	}
}

// corruptedThen returns when, in r's trace, the camera corrupted a
// payload on its way to N (-1: never), and whether an event then matches
// at the same moment: what happened to that answer.
func corruptedThen(r *sim.Runner, then func(*sim.Event) bool) (sim.Millis, bool) {
	corruptAt, seen := sim.Millis(-1), false
	for i := range r.Trace().Events {
		e := &r.Trace().Events[i]
		switch {
		case e.Kind == sim.EvFault && e.Peer == sim.ActorNew && strings.Contains(e.Name, "corrupted in transit"):
			corruptAt = e.At
		case corruptAt >= 0 && e.At == corruptAt && then(e):
			seen = true
		}
	}
	return corruptAt, seen
}

// runFinding runs the finding testdata/findings/name with seed, keeping
// its trace, and returns the runner (its trace) and the run's result.
func runFinding(t *testing.T, name string, seed uint64) (*sim.Runner, sim.Result) {
	t.Helper()
	b, err := os.ReadFile("testdata/findings/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r := findingRunner(t, b, name, true)
	res, err := r.Run(seed)
	if err != nil {
		t.Fatal(err)
	}
	return r, res
}

// findingRunner is a runner of the scenario file's configuration (named
// file in errors), keeping its runs' traces when keep is set.
func findingRunner(t *testing.T, file []byte, name string, keep bool) *sim.Runner {
	t.Helper()
	sc, err := scenarios.Parse(file, name)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sc.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.KeepTrace = keep
	r, err := sim.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReorderedDoubleWrite is the regression test of a finding of
// TestSimSchedules (scenario file seed 154, txn-put, reciprocate, lossy
// 3G): the existing device wrote m.login.ok and, when the user cancelled
// at once, m.login.failure, without waiting for the first write's answer;
// the network reordered the two writes, the store stored the failure and
// refused the ok as a conflict, and the new device, which then read the
// failure in the ok's place, ended channel_integrity.
// failure-has-an-outside-cause was judged violated because the checker
// knew only payloads the store had accepted and then replaced; a payload a
// device sent that never landed while a later one of the same device did is
// now counted as unread too (monitor.landed). The test checks that the run
// still has those facts and holds every invariant.
func TestReorderedDoubleWrite(t *testing.T) {
	r, res := runFinding(t, "reordered-double-write.json", 154)
	// The store's answers to E's writes: a 200, then a 409 to the write E
	// sent first.
	var statuses []int
	for _, e := range r.Trace().Events {
		if e.Kind == sim.EvRecv && e.Actor == sim.ActorHomeserver && e.Peer == sim.ActorExisting && strings.HasPrefix(e.Name, "PUT ") {
			statuses = append(statuses, e.Status)
		}
	}
	n := len(statuses)
	if n < 2 || statuses[n-2] != 200 || statuses[n-1] != 409 || res.New.Reason != "channel_integrity" {
		t.Fatalf("the run no longer reorders E's last two writes (store answers %v, N %+v): the finding is not exercised", statuses, res.New)
	}
	if res.Violation != nil {
		t.Fatalf("seed 154: %v", res.Violation)
	}
}

// TestCameraAttackerPayload is the regression test of a finding of
// TestSimSchedules (scenario file seed 39, msc4388 login with the camera
// and account-confusion): the attacker's own existing device scanned first
// and wrote its m.login.initiate into the session; the victim's existing
// device then read the session, where it takes the token and writes its
// own m.login.initiate over whatever is there, never opening the payload.
// The camera corrupted that read's payload, the attacker's, and its checker
// expected the device to end channel_integrity; it ended
// rendezvous_expired later, for another reason, and cause-ends-with-its-
// reason was judged violated. The camera now corrupts only a payload the
// other login device wrote, the one its checker's rule is about. The test
// checks that the attacker's write still lands before the existing
// device's first read and that the run holds every invariant.
func TestCameraAttackerPayload(t *testing.T) {
	r, res := runFinding(t, "camera-attacker-payload.json", 39)
	attackerWrote, eRead := sim.Millis(-1), sim.Millis(-1)
	for _, e := range r.Trace().Events {
		switch {
		case attackerWrote < 0 && e.Kind == sim.EvRecv && e.Actor == sim.ActorHomeserver && e.Peer == sim.ActorAttacker &&
			strings.HasPrefix(e.Name, "PUT ") && e.Status == 200:
			attackerWrote = e.At
		case eRead < 0 && e.Kind == sim.EvRecv && e.Actor == sim.ActorHomeserver && e.Peer == sim.ActorExisting &&
			strings.HasPrefix(e.Name, "GET ") && strings.Contains(e.Name, "rendezvous/"):
			eRead = e.At
		}
	}
	if attackerWrote < 0 || eRead < attackerWrote {
		t.Fatalf("the attacker's write (at %d ms) no longer lands before the existing device's first read (%d ms): the finding is not exercised", attackerWrote, eRead)
	}
	if res.Violation != nil {
		t.Fatalf("seed 39: %v", res.Violation)
	}
}
