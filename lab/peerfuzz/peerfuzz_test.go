package peerfuzz

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"qrlab/lab/peer"
	"qrlab/model/channel"
)

// TestMain runs the test binary as a peer when PEERFUZZ_TEST_PEER says
// which: "model" (the model over stdin/stdout), "v1" (a peer without
// hello), "hang" (answers hello, then nothing), "crash" (exits on the
// first op after hello).
func TestMain(m *testing.M) {
	if mode := os.Getenv("PEERFUZZ_TEST_PEER"); mode != "" {
		testPeer(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testPeer(mode string) {
	mux := peer.NewMux(channel.DefaultConfig(channel.ECIESVodozemac), nil, rand.NewChaCha8([32]byte{9}))
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for n := 0; in.Scan(); n++ {
		line := in.Text()
		switch {
		case mode == "v1" && strings.Contains(line, "hello"):
			out.WriteString(`{"event":"error","error":"unknown op"}` + "\n")
		case n > 0 && mode == "hang":
			time.Sleep(time.Hour)
		case n > 0 && mode == "crash":
			os.Exit(3)
		default:
			ev := mux.Handle([]byte(line))
			b, _ := json.Marshal(ev)
			out.Write(append(b, '\n'))
		}
		out.Flush()
	}
}

func localModel(cfg channel.Config, seed byte) Conn {
	return Local{peer.NewMux(cfg, nil, rand.NewChaCha8([32]byte{seed}))}
}

// TestModelAgreesWithItself: the model as the peer under test, with keys
// of its own, never disagrees with the model, in every construction, with
// additional data on: the differential has no false positives of its own
// (mutations whose effect depends on the bytes are set aside, not
// reported).
func TestModelAgreesWithItself(t *testing.T) {
	for _, c := range channel.Constructions() {
		t.Run(string(c), func(t *testing.T) {
			f := NewFuzzer(localModel(channel.DefaultConfig(c), 7), c, 3)
			res := f.Run(Options{Seed: 5, Runs: 300, AAD: true}, time.Now)
			for _, fd := range res.Findings {
				t.Errorf("disagreement %s in %v\n%s", fd.Class, fd.Steps, strings.Join(fd.Trace, "\n"))
			}
			if res.Ops < 1000 {
				t.Errorf("only %d ops ran in 300 sequences", res.Ops)
			}
		})
	}
}

// TestFindsAndShrinks: a peer that keeps its key after a failed
// LoginInitiate (RetryAccept) disagrees with the model; the fuzzer finds
// it, shrinks it to the few steps it needs (new, initiate, a spoilt
// deliver, the genuine deliver) and calls it a new finding.
func TestFindsAndShrinks(t *testing.T) {
	cfg := channel.DefaultConfig(channel.ECIESVodozemac)
	cfg.RetryAccept = true
	f := NewFuzzer(localModel(cfg, 7), channel.ECIESVodozemac, 3)
	res := f.Run(Options{Seed: 1, Runs: 400, AAD: true}, time.Now)
	if len(res.Findings) == 0 {
		t.Fatal("no disagreement found with a peer that retries Accept")
	}
	shortest := res.Findings[0]
	for _, fd := range res.Findings {
		if fd.Known != nil {
			t.Errorf("%s classified as known %s", fd.Class, fd.Known.Name)
		}
		if len(fd.Steps) < len(shortest.Steps) {
			shortest = fd
		}
	}
	if len(shortest.Steps) > 4 {
		t.Errorf("shortest reproducer has %d steps, want at most 4: %v", len(shortest.Steps), shortest.Steps)
	}
	again := f.Exec(shortest.Steps)
	if !again.disagreement || again.class(shortest.Steps) != shortest.Class {
		t.Errorf("the reproducer does not reproduce %s: %+v", shortest.Class, again)
	}
}

// TestGenerateIsSeeded: the same seed gives the same sequence, another
// seed another one.
func TestGenerateIsSeeded(t *testing.T) {
	a := Generate(rand.New(rand.NewPCG(1, 2)), 20, true)
	b := Generate(rand.New(rand.NewPCG(1, 2)), 20, true)
	c := Generate(rand.New(rand.NewPCG(1, 3)), 20, true)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave two sequences")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("two seeds gave the same sequence")
	}
}

// TestMutateEffect: each mutation does what its name says, and effect
// tells cosmetic changes from real ones.
func TestMutateEffect(t *testing.T) {
	const p = "AAECAwQFBgcICQoLDA0ODw" // 16 bytes, unpadded
	cases := []struct{ mut, want, effect string }{
		{"", p, "none"},
		{"pad", p + "==", "noncanonical"},
		{"overpad", p + "===", "noncanonical"},
		{"badb64", "AAECA!wQFBgcICQoLDA0ODw", "invalid"},
		{"crlf", "AAECAwQFBgcICQoLDA0ODw\r\n", "cosmetic"},
		{"truncate", "AAECAwQ", "changed"},
		{"empty", "", "changed"},
	}
	for _, c := range cases {
		arg := 5
		if c.mut == "crlf" {
			arg = len(p)
		}
		got := mutate(p, c.mut, arg)
		if got != c.want {
			t.Errorf("mutate %q = %q, want %q", c.mut, got, c.want)
		}
		if e := effect(p, got); e != c.effect {
			t.Errorf("effect of %q = %q, want %q", c.mut, e, c.effect)
		}
	}
	if got := mutate("AAAA|BBBB", "swap", 0); got != "BBBB|AAAA" {
		t.Errorf("swap = %q", got)
	}
}

// TestProcessPeers: a peer process is checked for version 2, and a peer
// that hangs or crashes shows as such in a finding, then is restarted.
func TestProcessPeers(t *testing.T) {
	self := os.Args[0]
	if _, _, err := StartProcess("PEERFUZZ_TEST_PEER=v1 "+self, 5*time.Second); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("a version-1 peer started: %v", err)
	}
	p, hello, err := StartProcess("PEERFUZZ_TEST_PEER=model "+self, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if hello.Protocol != 2 {
		t.Errorf("hello %+v", hello)
	}
	res := NewFuzzer(p, channel.ECIESVodozemac, 3).Run(Options{Seed: 2, Runs: 30, AAD: true}, time.Now)
	p.Close()
	if len(res.Findings) != 0 {
		t.Errorf("the model as a process disagreed with the model: %s", res.Findings[0].Class)
	}
	// The hang peer is told by its op timeout, which may be short; the
	// crash peer by its closed output, which must come before the op
	// timeout even on a loaded machine, or it would look hung. Starting
	// (hello) has StartupTimeout either way.
	for mode, c := range map[string]struct {
		want    string
		timeout time.Duration
	}{"hang": {"peer hangs", 200 * time.Millisecond}, "crash": {"peer crashes", 30 * time.Second}} {
		want := c.want
		p, _, err := StartProcess("PEERFUZZ_TEST_PEER="+mode+" "+self, c.timeout)
		if err != nil {
			t.Fatal(err)
		}
		res := NewFuzzer(p, channel.ECIESVodozemac, 3).Run(Options{Seed: 2, Runs: 1, AAD: true}, time.Now)
		p.Close()
		if len(res.Findings) == 0 || !strings.Contains(res.Findings[0].Class, want) {
			t.Errorf("%s peer: findings %+v, want one saying %q", mode, res.Findings, want)
		} else if len(res.Findings[0].Steps) != 1 {
			t.Errorf("%s peer: reproducer %v, want the one step", mode, res.Findings[0].Steps)
		}
	}
}

// TestCorpusRoundTrip: saved entries load back, once each.
func TestCorpusRoundTrip(t *testing.T) {
	dir := t.TempDir()
	e := Entry{Construction: "ecies-spec", Steps: Generate(rand.New(rand.NewPCG(1, 1)), 6, false)}
	if n, err := SaveCorpus(dir, []Entry{e, e}); err != nil || n != 1 {
		t.Fatalf("SaveCorpus: %d, %v", n, err)
	}
	got, err := LoadCorpus(dir, "ecies-spec")
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("LoadCorpus: %+v, %v", got, err)
	}
	if other, _ := LoadCorpus(dir, "hpke-spec"); len(other) != 0 {
		t.Errorf("another construction's corpus: %+v", other)
	}
}

// TestCorpusAgreesWithModel: every sequence of the corpus in testdata runs
// against the model as the peer without a disagreement (the corpus holds
// behaviours, not disagreements of the model with itself).
func TestCorpusAgreesWithModel(t *testing.T) {
	for _, c := range channel.Constructions() {
		entries, err := LoadCorpus("testdata/corpus", string(c))
		if err != nil {
			t.Fatal(err)
		}
		res := NewFuzzer(localModel(channel.DefaultConfig(c), 7), c, 3).Run(Options{Runs: -1, Corpus: entries}, time.Now)
		for _, fd := range res.Findings {
			t.Errorf("%s: %s in %v", c, fd.Class, fd.Steps)
		}
	}
}

// TestCorpusAgainstWasm: the corpus in testdata replays against vodozemac's
// wasm build behind the repository's adapter with only known departures, so
// a behaviour the corpus holds that the wasm changes shows in go test, not
// only in the CI fuzz run. It needs node and the npm package the interop
// test installs; without them it skips.
func TestCorpusAgainstWasm(t *testing.T) {
	dir := filepath.Join("..", "interop", "testdata", "interop")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@matrix-org", "matrix-sdk-crypto-wasm")); err != nil {
		t.Skip("the pinned npm package is not installed (go test ./lab/interop installs it)")
	}
	p, hello, err := StartProcess("node "+filepath.Join(dir, "fuzzpeer.mjs"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	replayed := 0
	for _, c := range hello.Constructions {
		entries, err := LoadCorpus("testdata/corpus", c)
		if err != nil {
			t.Fatal(err)
		}
		res := NewFuzzer(p, channel.Construction(c), 3).Run(Options{Runs: -1, Corpus: entries, AAD: hello.AAD != nil && *hello.AAD}, time.Now)
		for _, fd := range res.Findings {
			if fd.Known == nil {
				t.Errorf("%s: new disagreement %s in %v", c, fd.Class, fd.Steps)
			}
		}
		replayed += len(entries)
	}
	if replayed == 0 {
		t.Errorf("no corpus entry for the adapter's constructions %v", hello.Constructions)
	}
}
