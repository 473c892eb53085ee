package qrdiff

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"qrlab/model/qr"
)

func fixedClock() time.Time { return time.Unix(0, 0) }

// The model against itself: every generated payload is an agreement, so
// the generator, the comparison and the report have no false positives.
func TestModelAgreesWithItself(t *testing.T) {
	rep, err := Run(Model{}, Options{Seed: 7, Runs: 3000}, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cases != 3000 || len(rep.Findings) != 0 {
		t.Fatalf("model vs model: %d cases, findings %+v", rep.Cases, rep.Findings)
	}
	if rep.Accepted == 0 {
		t.Fatal("no generated payload was valid: the differential compares refusals only")
	}
}

// The generator reaches every layout model/qr knows with valid payloads.
func TestGeneratorCoversEveryLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	examples := validExamples()
	seen := map[string]bool{}
	for range 5000 {
		if m := ModelDecode(generate(r, examples)); m.OK {
			seen[strings.SplitN(m.Fields.Format, "/", 2)[0]] = true
		}
	}
	for _, f := range qr.Formats() {
		if !seen[string(f)] {
			t.Errorf("no generated payload decodes as %s", f)
		}
	}
}

// trailingPeer is the model with the wasm's tolerance of trailing bytes:
// it reads the longest prefix the model accepts.
type trailingPeer struct{}

func (trailingPeer) Decode(b []byte) (Result, error) {
	for k := len(b); k > 0; k-- {
		if m := ModelDecode(b[:k]); m.OK {
			return m, nil
		}
	}
	return ModelDecode(b), nil
}

// A decoder that ignores trailing bytes shows exactly the known class
// wasm-ignores-trailing-bytes, shrunk, and does not fail the run.
func TestKnownDepartureIsClassified(t *testing.T) {
	rep, err := Run(trailingPeer{}, Options{Seed: 3, Runs: 2000}, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("the trailing-bytes tolerance went unnoticed")
	}
	for _, f := range rep.Findings {
		if f.Known == nil || f.Known.Name != "wasm-ignores-trailing-bytes" {
			t.Errorf("class %q: known %+v, want wasm-ignores-trailing-bytes", f.Class, f.Known)
		}
		if got := classify(ModelDecode(f.Payload), mustDecode(t, trailingPeer{}, f.Payload)); got != f.Class {
			t.Errorf("reproducer %s replays as %q, want %q", f.Hex, got, f.Class)
		}
	}
	if rep.New() != 0 {
		t.Errorf("%d new classes, want 0", rep.New())
	}
}

// swapPeer reads every intent backwards: a departure no rule knows.
type swapPeer struct{}

func (swapPeer) Decode(b []byte) (Result, error) {
	m := ModelDecode(b)
	if m.OK {
		f := *m.Fields
		f.Intent = map[string]string{"login": "reciprocate", "reciprocate": "login"}[f.Intent]
		m.Fields = &f
	}
	return m, nil
}

// An unknown departure is a new finding, and its reproducer is written.
func TestNewDepartureFails(t *testing.T) {
	rep, err := Run(swapPeer{}, Options{Seed: 4, Runs: 500}, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	if rep.New() == 0 {
		t.Fatalf("a decoder that swaps intents gave no new finding: %+v", rep.Findings)
	}
	dir := t.TempDir()
	for _, f := range rep.Findings {
		if !strings.Contains(f.Class, "fields differ: intent") {
			t.Errorf("unexpected class %q", f.Class)
		}
		path, err := WriteFinding(dir, f)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), f.Hex) {
			t.Errorf("reproducer %s lacks the payload: %v", path, err)
		}
	}
}

func mustDecode(t *testing.T, d Decoder, b []byte) Result {
	t.Helper()
	r, err := d.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The wasm decoder through its adapter: every disagreement over a fixed
// number of payloads is a known departure. It needs node and the npm
// package that the interop test installs; without them it skips.
func TestWasmDecoderOnlyKnownDepartures(t *testing.T) {
	dir := filepath.Join("..", "interop", "testdata", "interop")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@matrix-org", "matrix-sdk-crypto-wasm")); err != nil {
		t.Skip("the pinned npm package is not installed (go test ./lab/interop installs it)")
	}
	p, err := StartProcess("node "+filepath.Join(dir, "qrdiff.mjs"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The stored reproducers replay: the wasm still answers as recorded.
	for _, f := range loadReproducers(t) {
		got := mustDecode(t, p, f.Payload)
		if got.OK != f.Peer.OK || got.Error != f.Peer.Error || !reflect.DeepEqual(got.Fields, f.Peer.Fields) {
			t.Errorf("%s: the wasm now says %+v, the reproducer recorded %+v", f.Hex, got, f.Peer)
		}
	}
	rep, err := Run(p, Options{Seed: 1, Runs: 2000}, fixedClock)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Known == nil {
			t.Errorf("new disagreement %q: payload %s, model %+v, wasm %+v", f.Class, f.Hex, f.Model, f.Peer)
		}
	}
	t.Logf("%s: %d payloads, %d classes of known departures", p.Hello.Decoder, rep.Cases, len(rep.Findings))
}
