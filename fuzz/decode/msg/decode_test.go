package msg

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"qrlab/model/msg"
	"qrlab/model/wire"
)

// FuzzMessageDecode feeds arbitrary bytes to msg.Decode and checks, beyond
// "never panics":
//   - every refusal is an *msg.Error with a Kind;
//   - syntax is judged on the whole input before anything else: the input
//     is refused as KindNotJSON exactly when the strict JSON reader of
//     package wire does not read it as one document (FuzzReader holds that
//     reader to the RFC 8259 grammar and FuzzReaderEncodingJSON to
//     encoding/json, so encoding/json is not linked here: its coverage
//     counters alone would cost this target a third of its speed);
//   - anything accepted encodes, decodes back to an equal value, and
//     encodes again to the same (canonical) bytes;
//   - the options only narrow: what a fixed generation or the strict
//     options accept, the default accepts, as the same value (one option
//     set per input, chosen by its length). Inputs that are not JSON skip
//     this second decode: no decode can accept them (acceptance implies
//     JSON, checked above), and under go test -fuzz, whose hooks on every
//     comparison make a decode cost some 2 us, it would double the cost of
//     most executions.
//
// The seed corpus is testdata/fuzz/FuzzMessageDecode: one valid sample of
// each type in both generations, and malformed ones.
func FuzzMessageDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := msg.Decode(in)
		if err != nil {
			// Decode returns a bare *msg.Error: a type assertion is much
			// cheaper than errors.As on this hot path.
			e, ok := err.(*msg.Error)
			if !ok || e.Kind < msg.KindNotJSON || e.Kind > msg.KindInvalid {
				t.Fatalf("refusal %v is not a typed error", err)
			}
			if m != nil {
				t.Fatalf("message %#v returned with error %v", m, err)
			}
			if valid := validJSON(in); valid == (e.Kind == msg.KindNotJSON) {
				t.Fatalf("validJSON(%q) = %v, and Decode refuses it with %v", in, valid, err)
			}
			if e.Kind == msg.KindNotJSON {
				return
			}
		} else {
			if !validJSON(in) {
				t.Fatalf("Decode accepted %q, which is not JSON", in)
			}
			out, err := msg.Encode(m)
			if err != nil {
				t.Fatalf("Encode(%#v) of accepted %q: %v", m, in, err)
			}
			back, err := msg.Decode(out)
			if err != nil {
				t.Fatalf("Decode(%s) of re-encoded %q: %v", out, in, err)
			}
			if !reflect.DeepEqual(back, m) {
				t.Fatalf("round trip of %q via %s:\n got %#v\nwant %#v", in, out, back, m)
			}
			if again, err := msg.Encode(back); err != nil || !bytes.Equal(again, out) {
				t.Fatalf("encoding not canonical: %s then %s (%v)", out, again, err)
			}
		}

		// One option set per input, picked by its length, keeps each
		// execution to two decodes while the corpus covers all three.
		opts := optionSets[len(in)%len(optionSets)]
		if n, nerr := msg.Decode(in, opts...); nerr == nil && (err != nil || !reflect.DeepEqual(n, m)) {
			t.Fatalf("options %v accept %q as %#v but the default gives %#v, %v", opts, in, n, m, err)
		}
	})
}

// optionSets are the narrowing option sets, one per input by its length
// (made once: building them per execution would cost an allocation).
var optionSets = [][]msg.Option{
	{msg.WithGeneration(msg.Gen2024)},
	{msg.WithGeneration(msg.Gen2026)},
	{msg.DisallowUnknownFields(), msg.RequireUnpaddedBase64()},
}

// validJSON reports whether b is one JSON document (whitespace around it
// allowed), as wire's strict reader reads it.
func validJSON(b []byte) bool {
	r := wire.Reader{B: b}
	r.Space()
	if !r.Value(0).OK() {
		return false
	}
	r.Space()
	return r.I == len(b)
}

// TestSeedCorpus keeps the seed corpus honest: files named valid-* decode,
// files named bad-* are refused. (Crashers the fuzzer saves keep hash names
// and are only replayed by FuzzMessageDecode.)
func TestSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzMessageDecode")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range entries {
		name := e.Name()
		valid := strings.HasPrefix(name, "valid-")
		if !valid && !strings.HasPrefix(name, "bad-") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
			!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Fatalf("%s: not a one-value go test fuzz v1 file", name)
		}
		in, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := msg.Decode([]byte(in))
		if valid && err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !valid && err == nil {
			t.Errorf("%s: accepted as %#v", name, m)
		}
		if valid && err == nil {
			seen[m.Type()]++
		}
	}
	for _, typ := range []string{msg.TypeProtocols, msg.TypeProtocol, msg.TypeProtocolAccepted, msg.TypeSuccess,
		msg.TypeDeclined, msg.TypeFailure, msg.TypeSecrets} {
		if seen[typ] < 2 {
			t.Errorf("seed corpus has %d valid %s samples, want one per generation", seen[typ], typ)
		}
	}
}
