package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"qrlab/model/variant"
	"qrlab/scenarios"
	"qrlab/sim"
)

// simRecords runs a few seeds of every grid point of some built-in
// scenarios (the default one, grids with axes, adversaries, a swarm, a
// rogue peer) and returns each run's record line as simrun sweep writes it.
func simRecords(t *testing.T, runs int) [][]byte {
	t.Helper()
	var lines [][]byte
	for _, name := range []string{"default", "generations", "adversaries", "swarm", "attack-rogue-malformed", "attack-tls-proxy", "careless-user"} {
		sc, err := scenarios.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := sc.Points()
		if err != nil {
			t.Fatal(err)
		}
		for p, pt := range pts {
			cfg, err := pt.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			r, err := sim.NewRunner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			axes := pt.Axes(sc.Sweep)
			for s := 0; s < runs; s++ {
				res, err := r.Run(sc.Seed + uint64(s))
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(&Record{Point: p, Axes: axes, Result: res})
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, b)
			}
		}
	}
	// Known-bad designs, whose runs end in violations.
	for _, name := range variant.MutantNames() {
		v, err := variant.LoadMutant(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := sim.NewRunner(sim.Config{Variant: v})
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < runs; s++ {
			res, err := r.Run(uint64(s))
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(&Record{Result: res})
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, b)
		}
	}
	return lines
}

// agree decodes line both ways. It fails when the hand-written decoder
// takes a line encoding/json refuses or reads differently; it reports
// whether the hand-written decoder took the line.
func agree(t *testing.T, d *recordDecoder, line []byte) bool {
	t.Helper()
	var fast, slow Record
	took := d.decode(line, &fast)
	jerr, serr := decodeRecordJSON(line, &slow)
	if !took {
		return false
	}
	if jerr != nil || serr != nil {
		t.Fatalf("the hand-written decoder took a line encoding/json refuses (%v, %v):\n%s", jerr, serr, line)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("the two decoders read different records from\n%s\nhand-written: %+v\nencoding/json: %+v", line, fast, slow)
	}
	return true
}

// TestRecordDecoderAgrees: on the records of real runs (every field a
// record has, axes, adversaries, violations, faults) the hand-written
// decoder takes every line and reads what encoding/json reads.
func TestRecordDecoderAgrees(t *testing.T) {
	lines := simRecords(t, 6)
	var d recordDecoder
	fields := map[string]bool{}
	for _, l := range lines {
		if !agree(t, &d, l) {
			t.Fatalf("the hand-written decoder declined a record simrun writes:\n%s", l)
		}
		var m map[string]json.RawMessage
		_ = json.Unmarshal(l, &m)
		for k := range m {
			fields[k] = true
		}
	}
	// The runs must have exercised the optional parts too.
	for _, k := range []string{"axes", "adversaries", "violation", "faults", "phases", "request_kinds", "store_cost", "root_cause", "attacker_won", "exposure"} {
		if !fields[k] {
			t.Errorf("no record of the sample has %q: the agreement is not shown for it", k)
		}
	}
	t.Logf("%d records, fields %d", len(lines), len(fields))
}

// TestRecordDecoderFile checks every line of a records file of a real
// sweep (QRLAB_RECORDS=DIR/runs.jsonl; skipped without it): the
// hand-written decoder takes each and reads what encoding/json reads.
func TestRecordDecoderFile(t *testing.T) {
	path := os.Getenv("QRLAB_RECORDS")
	if path == "" {
		t.Skip("QRLAB_RECORDS=DIR/runs.jsonl checks a sweep's records")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var d recordDecoder
	n := 0
	for sc.Scan() {
		n++
		if !agree(t, &d, sc.Bytes()) {
			t.Fatalf("line %d: declined:\n%s", n, sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records agree", n)
}

// TestRecordDecoderDeclines: lines that encoding/json reads its own way (a
// key twice, in another case, an escape, a null, a fraction, a number out
// of range, text after the object) are left to it, and each edit of a real
// record either is declined or reads as encoding/json reads it.
func TestRecordDecoderDeclines(t *testing.T) {
	lines := simRecords(t, 1)
	base := string(lines[0])
	var d recordDecoder
	for _, c := range []struct{ name, old, new string }{
		{"key twice", `"seed":`, `"seed":1,"seed":`},
		{"key in another case", `"seed":`, `"Seed":`},
		{"escaped string", `"variant":"`, `"variant":"\u006d`},
		{"null", `"network":"4g"`, `"network":null`},
		{"fraction", `"messages":`, `"messages":1.5,"x":`},
		{"exponent", `"messages":`, `"messages":1e0,"x":`},
		{"negative seed", `"seed":`, `"seed":-`},
		{"seed out of range", `"seed":`, `"seed":99999999999999999999`},
		{"leading zero", `"messages":`, `"messages":01,"x":`},
		{"unknown field", `"seed":`, `"colour":"red","seed":`},
		{"invalid UTF-8", `"variant":"`, "\"variant\":\"\xff"},
		{"control byte", `"variant":"`, "\"variant\":\"\x01"},
		{"nested key twice", `"success":`, `"success":true,"success":`},
	} {
		line := strings.Replace(base, c.old, c.new, 1)
		if line == base {
			t.Fatalf("%s: the edit %q did not apply", c.name, c.old)
		}
		if agree(t, &d, []byte(line)) {
			t.Errorf("%s: taken by the hand-written decoder, which should leave it to encoding/json:\n%s", c.name, line)
		}
	}
	// Every cut of a record: declined, or (whitespace only) the same.
	for i := 1; i < len(base); i++ {
		agree(t, &d, []byte(base[:i]))
	}
	// Whitespace anywhere JSON allows it is read as encoding/json reads it.
	spaced := strings.NewReplacer(",", " ,\n", ":", "\t: ", "{", "{ ", "}", " }").Replace(base)
	if !agree(t, &d, []byte(spaced)) {
		t.Errorf("a record with whitespace between its tokens was declined")
	}
}

// TestScanBadLines: lines the hand-written decoder declines still get
// encoding/json's refusal, with the file and line number.
func TestScanBadLines(t *testing.T) {
	good := simRecords(t, 1)[:3]
	for _, c := range []struct{ bad, want string }{
		{`{"seed":1,`, "f.jsonl:2: unexpected EOF"},
		{`{"seed":"one"}`, `f.jsonl:2: not a run record: field "Result.seed" holds a string`},
		{`{"colour":"red"}`, `f.jsonl:2: not a run record: unknown field "colour"`},
		{`{"seed":1}`, `f.jsonl:2: not a run record: no "variant", "agreement", "trace_hash"`},
		{`[1,2]`, "f.jsonl:2: not a run record"},
		{`{"seed":1} {}`, "f.jsonl:2: not a run record: text after the record's object"},
	} {
		in := string(good[0]) + "\n" + c.bad + "\n" + string(good[1]) + "\n" + string(good[2]) + "\n"
		_, n, err := Scan(strings.NewReader(in), "f.jsonl", func(*Record) error { return nil })
		if err == nil || !errors.Is(err, ErrRecords) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v after %d records, want an error containing %q", c.bad, err, n, c.want)
		}
	}
}

// FuzzRecordDecoders: for any line, a line the hand-written decoder takes
// is one encoding/json reads to the same record. Seeds:
// testdata/fuzz/FuzzRecordDecoders.
func FuzzRecordDecoders(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var d recordDecoder
		agree(t, &d, bytes.TrimSpace(b))
	})
}
