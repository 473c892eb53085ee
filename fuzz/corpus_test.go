package fuzz

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/login"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/sim"
)

var update = flag.Bool("update", false, "rewrite the generated seed corpus files under testdata/fuzz (and model/qr's captured ones)")

// captureQR runs a new device of the preset (intent login) against a real
// rendezvous store until it shows its QR code, and returns the payload it
// showed: real bytes from the login machine, not written by hand.
func captureQR(preset string, seed uint64) ([]byte, error) {
	v, err := variant.Load(preset)
	if err != nil {
		return nil, err
	}
	rc, err := v.RendezvousConfig()
	if err != nil {
		return nil, err
	}
	rc.BaseURL = sim.BaseURL
	store, err := rendezvous.New(rc, 0, seeded.Key(byte(seed), 1))
	if err != nil {
		return nil, err
	}
	n, err := login.NewNewDevice(login.NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: sim.BaseURL},
		seeded.Key(byte(seed), 2))
	if err != nil {
		return nil, err
	}
	in := login.Input{Kind: login.InputStart}
	for now := login.Millis(0); now < 100; now++ {
		var next *login.Input
		for _, f := range n.Step(now, in) {
			switch f.Kind {
			case login.EffectShowQR:
				return f.Data, nil
			case login.EffectRequest:
				if f.Request.Target != login.TargetRendezvous {
					return nil, fmt.Errorf("%s: the new device asked %v before showing its QR code", preset, f.Request.Target)
				}
				resp, _ := store.Handle(rendezvous.Millis(now), &rendezvous.Request{Method: f.Request.Method, Path: f.Request.Path,
					Header: f.Request.Header, Body: f.Request.Body})
				next = &login.Input{Kind: login.InputResponse, ID: f.Request.ID,
					Response: login.Response{Status: resp.Status, Header: resp.Header, Body: resp.Body}}
			}
		}
		if next == nil {
			return nil, fmt.Errorf("%s: the new device stopped before showing its QR code (state %s)", preset, n.State())
		}
		in = *next
	}
	return nil, fmt.Errorf("%s: no QR code", preset)
}

func corpusBytes(b []byte) string {
	return "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
}

// seedFile is one generated corpus file. A golden one must match its
// generator byte for byte; the others (copies of the scenario library,
// which people edit and extend) are only written by -update.
type seedFile struct {
	content string
	golden  bool
}

// seedCorpus is every generated corpus file, by path from this package's
// directory. Files the fuzzer writes (crashers) sit beside them under hash
// names.
func seedCorpus(t *testing.T) map[string]seedFile {
	files := map[string]seedFile{}
	dir := filepath.Join("testdata", "fuzz")
	for i, s := range simSeeds() {
		files[filepath.Join(dir, "FuzzSimRun", fmt.Sprintf("seed-%02d", i))] = seedFile{corpusBytes(s), true}
	}
	for i, s := range scenarioSeeds() {
		files[filepath.Join(dir, "FuzzScenarioParse", fmt.Sprintf("seed-%02d", i))] = seedFile{corpusBytes(s), false}
	}
	// Real QR payloads of every preset's layout, as the new device shows
	// them, for the QR codec's targets in decode/qr (the decoder alone, and
	// the layout differential, whose first byte picks a header; this value
	// picks none, as decode/qr's TestQRHeaders pins).
	const noHeader = byte(6)
	for i, preset := range variant.Names() {
		b, err := captureQR(preset, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Join("decode", "qr", "testdata", "fuzz", "FuzzQRLayouts", "captured-"+preset)] =
			seedFile{fmt.Sprintf("go test fuzz v1\nbyte(%q)\n[]byte(%s)\n", noHeader, strconv.Quote(string(b))), true}
		files[filepath.Join("decode", "qr", "testdata", "fuzz", "FuzzQRDecode", "captured-"+preset)] = seedFile{corpusBytes(b), true}
	}
	return files
}

// TestSeedCorpus keeps the generated corpus files in step with the code
// that generates them; go test ./fuzz -run TestSeedCorpus -update rewrites
// them.
func TestSeedCorpus(t *testing.T) {
	for path, f := range seedCorpus(t) {
		want := f.content
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !f.golden {
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale; run go test ./fuzz -run TestSeedCorpus -update", path)
		}
	}
}

// TestCapturedQRDecode checks that every captured payload decodes in the
// format its preset names and re-encodes to itself.
func TestCapturedQRDecode(t *testing.T) {
	for i, preset := range variant.Names() {
		b, err := captureQR(preset, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		p, err := qr.Decode(b)
		v := variant.MustLoad(preset)
		if err != nil || p.Format != v.QRFormat() || p.Intent != qr.Login {
			t.Fatalf("%s: captured %x decodes as %v, %v; want format %s", preset, b, p, err, v.QRFormat())
		}
		if out, err := p.Marshal(); err != nil || string(out) != string(b) {
			t.Fatalf("%s: re-encodes to %x, %v", preset, out, err)
		}
	}
}
