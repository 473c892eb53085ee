package channel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"qrlab/internal/seeded"
)

// fuzzStage says which receiving step a fuzzed payload is fed to.
const (
	stageInitiate = iota // G accepting LoginInitiate
	stageLoginOk         // S opening LoginOk
	stageLater           // G opening a later payload from S
	stageCount
)

// fuzzFixture is one construction's handshake frozen at every stage, with
// the genuine payload each stage expects.
type fuzzFixture struct {
	cfg      Config
	seed     uint64
	genuine  [stageCount]string
	gen      *Generator // fresh, before LoginInitiate
	sBefore  *Channel   // S waiting for LoginOk
	gWaiting *Channel   // G waiting for a later payload
}

func buildFixture(c Construction) *fuzzFixture {
	cfg := DefaultConfig(c)
	f := &fuzzFixture{cfg: cfg, seed: 77}
	rnd := seeded.Stream(f.seed)
	gen, _ := NewGenerator(cfg, rnd)
	s, initiate, _ := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, rnd)
	f.gen = &Generator{cfg: gen.cfg, key: gen.key, hpke: gen.hpke}
	g, _, _ := gen.Accept(initiate, nil, rnd)
	ok, _ := g.Seal([]byte(LoginOk), nil)
	f.sBefore = cloneChannel(s)
	s.Open(ok, nil)
	later, _ := s.Seal([]byte(`{"type":"m.login.protocol"}`), nil)
	f.gWaiting = g
	f.genuine = [stageCount]string{initiate, ok, later}
	return f
}

// cloneChannel copies a channel's receive state so a fuzz input that fails
// (and, in ECIES, consumes a nonce) does not disturb the next input. HPKE
// contexts do not move on failure, so sharing their exporter is safe.
func cloneChannel(c *Channel) *Channel {
	cp := *c
	switch r := c.recv.(type) {
	case *counterAEAD:
		rr := *r
		cp.recv = &rr
	case *seqAEAD:
		rr := *r
		cp.recv = &rr
	case *hpkeContext:
		a := *r.seqAEAD
		rr := *r
		rr.seqAEAD = &a
		cp.recv = &rr
	}
	return &cp
}

var (
	fixturesOnce sync.Once
	fixtures     []*fuzzFixture
)

func getFixtures() []*fuzzFixture {
	fixturesOnce.Do(func() {
		for _, c := range Constructions() {
			fixtures = append(fixtures, buildFixture(c))
		}
	})
	return fixtures
}

// sameBytes reports whether two payloads decode to the same bytes (the
// decoder accepts padding, so equal strings are not required).
func sameBytes(a, b string) bool {
	if strings.Contains(a, "|") || strings.Contains(b, "|") {
		a1, a2, _ := strings.Cut(a, "|")
		b1, b2, _ := strings.Cut(b, "|")
		return sameBytes(a1, b1) && sameBytes(a2, b2)
	}
	x, err1 := decodeB64(a)
	y, err2 := decodeB64(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// FuzzChannelOpen feeds arbitrary payloads to every receiving step of every
// construction. Nothing may panic, and nothing but the genuine payload (up to
// base64 padding) may open.
func FuzzChannelOpen(f *testing.F) {
	for i, fx := range getFixtures() {
		for st := range stageCount {
			f.Add(uint8(i), uint8(st), fx.genuine[st])
		}
	}
	f.Fuzz(func(t *testing.T, cons, stage uint8, payload string) {
		fxs := getFixtures()
		fx := fxs[int(cons)%len(fxs)]
		st := int(stage) % stageCount
		var err error
		switch st {
		case stageInitiate:
			g := &Generator{cfg: fx.gen.cfg, key: fx.gen.key, hpke: fx.gen.hpke}
			_, _, err = g.Accept(payload, nil, seeded.Stream(1))
		case stageLoginOk:
			_, err = cloneChannel(fx.sBefore).Open(payload, nil)
		case stageLater:
			_, err = cloneChannel(fx.gWaiting).Open(payload, nil)
		}
		if err == nil && !sameBytes(payload, fx.genuine[st]) {
			t.Fatalf("%s stage %d: forged payload %q opened", fx.cfg.Construction, st, payload)
		}
	})
}

// TestWriteFuzzSeeds writes the genuine payloads (and a few broken ones) to
// the seed corpus when run with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz/FuzzChannelOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzChannelOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, cons, stage int, payload string) {
		body := fmt.Sprintf("go test fuzz v1\nbyte(%q)\nbyte(%q)\nstring(%q)\n", byte(cons), byte(stage), payload)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, fx := range getFixtures() {
		for st := range stageCount {
			p := fx.genuine[st]
			name := fmt.Sprintf("%s-stage%d", fx.cfg.Construction, st)
			write(name+"-genuine", i, st, p)
			write(name+"-truncated", i, st, p[:len(p)/2])
			write(name+"-padded", i, st, p+"=")
			flippedP, _ := flipped(strings.Split(p, "|")[0], 3)
			write(name+"-flipped", i, st, flippedP)
		}
	}
	write("empty", 0, 0, "")
	write("separator-only", 1, 0, "|")
}
