package msg

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzMessageDecode feeds arbitrary bytes to Decode and checks, beyond "never
// panics":
//   - every refusal is an *Error with a Kind;
//   - syntax is judged like encoding/json: what it calls invalid is refused
//     as KindNotJSON, and what Decode accepts it calls valid;
//   - anything accepted encodes, decodes back to an equal value, and
//     encodes again to the same (canonical) bytes;
//   - the options only narrow: what a fixed generation or the strict
//     options accept, the default accepts, as the same value (one option
//     set per input, chosen by its length).
//
// The seed corpus is testdata/fuzz/FuzzMessageDecode: one valid sample of
// each type in both generations, and malformed ones.
func FuzzMessageDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Decode(in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind < KindNotJSON || e.Kind > KindInvalid {
				t.Fatalf("refusal %v is not a typed error", err)
			}
			if m != nil {
				t.Fatalf("message %#v returned with error %v", m, err)
			}
			if e.Kind != KindNotJSON && !json.Valid(in) {
				t.Fatalf("encoding/json calls %q invalid, Decode says %v", in, err)
			}
		} else {
			if !json.Valid(in) {
				t.Fatalf("Decode accepted %q, which encoding/json calls invalid", in)
			}
			out, err := Encode(m)
			if err != nil {
				t.Fatalf("Encode(%#v) of accepted %q: %v", m, in, err)
			}
			back, err := Decode(out)
			if err != nil {
				t.Fatalf("Decode(%s) of re-encoded %q: %v", out, in, err)
			}
			if !reflect.DeepEqual(back, m) {
				t.Fatalf("round trip of %q via %s:\n got %#v\nwant %#v", in, out, back, m)
			}
			if again, err := Encode(back); err != nil || !bytes.Equal(again, out) {
				t.Fatalf("encoding not canonical: %s then %s (%v)", out, again, err)
			}
		}

		// One option set per input, picked by its length, keeps each
		// execution to two decodes while the corpus covers all three.
		var opts []Option
		switch len(in) % 3 {
		case 0:
			opts = []Option{WithGeneration(Gen2024)}
		case 1:
			opts = []Option{WithGeneration(Gen2026)}
		default:
			opts = []Option{DisallowUnknownFields(), RequireUnpaddedBase64()}
		}
		if n, nerr := Decode(in, opts...); nerr == nil && (err != nil || !reflect.DeepEqual(n, m)) {
			t.Fatalf("options %v accept %q as %#v but the default gives %#v, %v", opts, in, n, m, err)
		}
	})
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
		m, err := Decode([]byte(in))
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
	for _, typ := range []string{TypeProtocols, TypeProtocol, TypeProtocolAccepted, TypeSuccess,
		TypeDeclined, TypeFailure, TypeSecrets} {
		if seen[typ] < 2 {
			t.Errorf("seed corpus has %d valid %s samples, want one per generation", seen[typ], typ)
		}
	}
}
