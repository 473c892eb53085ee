package reports

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanRefusesNonRecords checks that lines which are valid JSON but not
// run records ("{}", a scenario file, a record with an unknown field or a
// bad agreement) are refused with their line, even as the last line,
// instead of being counted as runs.
func TestScanRefusesNonRecords(t *testing.T) {
	const good = `{"point":0,"seed":1,"variant":"msc4388","agreement":"both-success","trace_hash":"a"}` + "\n"
	for _, c := range []struct{ name, text, want string }{
		{"empty object", "{}\n", `x.jsonl:1: not a run record: no "variant", "agreement", "trace_hash"`},
		{"scenario file", good + `{"name":"x","variant":"msc4388","runs":3}` + "\n", `x.jsonl:2: not a run record: unknown field "name"`},
		{"unknown field", `{"point":0,"seed":1,"variant":"v","agreement":"both-success","trace_hash":"a","colour":1}` + "\n", `unknown field "colour"`},
		{"bad agreement", `{"seed":1,"variant":"v","agreement":"maybe","trace_hash":"a"}` + "\n", `agreement "maybe" is none of`},
		{"negative point", `{"point":-1,"seed":1,"variant":"v","agreement":"unfinished","trace_hash":"a"}` + "\n", "point -1 is negative"},
		{"wrong type", `{"point":"one","seed":1,"variant":"v","agreement":"unfinished","trace_hash":"a"}` + "\n", `field "point" holds a string`},
	} {
		n := 0
		_, _, err := Scan(strings.NewReader(c.text), "x.jsonl", func(*Record) error { n++; return nil })
		if err == nil || !errors.Is(err, ErrRecords) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
		if strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "reports.") {
			t.Errorf("%s: %v names a Go type", c.name, err)
		}
	}
}

// TestAddChecksTheSweep checks that Add refuses a record outside the sweep
// (point, seed, edited axis values) and drops a duplicate run with a
// count and a warning, so that a report never says more runs than the
// sweep has.
func TestAddChecksTheSweep(t *testing.T) {
	m, recs := fixture()
	b := NewBuilder(m)
	for i := range recs {
		if err := b.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	dup := recs[5]
	if err := b.Add(&dup); err != nil {
		t.Fatal(err)
	}
	if b.Runs() != m.Jobs() || b.Duplicates() != 1 || len(b.Warnings()) != 1 || !strings.Contains(b.Warnings()[0], "1 duplicate") {
		t.Fatalf("runs %d of %d, duplicates %d, warnings %v", b.Runs(), m.Jobs(), b.Duplicates(), b.Warnings())
	}
	md, err := b.Markdown()
	if err != nil || !strings.Contains(string(md), "160 runs read (1 duplicate record(s) dropped)") {
		t.Errorf("the report does not say the duplicate was dropped: %v\n%.400s", err, md)
	}
	edit := func(f func(r *Record)) *Record {
		r := recs[41] // point 1, seed 2
		r.Axes = map[string]json.RawMessage{}
		for k, v := range recs[41].Axes {
			r.Axes[k] = v
		}
		f(&r)
		return &r
	}
	for _, c := range []struct {
		name string
		r    *Record
		want string
	}{
		{"point past the grid", edit(func(r *Record) { r.Point = 4 }), "point 4 outside the sweep's 4 points"},
		{"seed before the sweep", edit(func(r *Record) { r.Seed = 0 }), "seed 0 of point 1 is not part of the sweep (seeds 1 to 40)"},
		{"seed after the sweep", edit(func(r *Record) { r.Seed = 41 }), "seed 41 of point 1"},
		{"edited axis", edit(func(r *Record) { r.Axes["network.link.loss"] = json.RawMessage("0.5") }),
			`axis "network.link.loss" is 0.5 in the record and 0 in the sweep`},
		{"missing axis", edit(func(r *Record) { delete(r.Axes, "variant") }), "1 axis values, the sweep 2"},
		{"renamed axis", edit(func(r *Record) { delete(r.Axes, "variant"); r.Axes["variants"] = json.RawMessage(`"x"`) }),
			`no value for axis "variant"`},
	} {
		if err := b.Add(c.r); err == nil || !errors.Is(err, ErrRecords) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
	// White space in an axis value is not an edit.
	ok := edit(func(r *Record) { r.Axes["variant"] = json.RawMessage(` "msc4108-2024" `) })
	if err := NewBuilder(m).Add(ok); err != nil {
		t.Errorf("spaced axis value: %v", err)
	}
	// Plain records: any seed, each once.
	plain := NewBuilder(nil)
	r := recs[0]
	r.Point, r.Axes, r.Seed = 0, nil, 1<<60
	for range 3 {
		if err := plain.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if plain.Runs() != 1 || plain.Duplicates() != 2 {
		t.Errorf("plain: runs %d duplicates %d", plain.Runs(), plain.Duplicates())
	}
}

// TestReadManifestChecks checks that a sweep.json whose counts do not
// describe a sweep (edited points, overflowing runs, seeds past 2^64-1, a
// wrong type) is refused with what is wrong, naming no Go type.
func TestReadManifestChecks(t *testing.T) {
	m, _ := fixture()
	write := func(f func(m *Manifest)) string {
		c := *m
		f(&c)
		path := filepath.Join(t.TempDir(), "sweep.json")
		if err := WriteManifest(path, &c); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if _, err := ReadManifest(write(func(*Manifest) {})); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	for _, c := range []struct {
		name string
		f    func(m *Manifest)
		want string
	}{
		{"points edited", func(m *Manifest) { m.Points = 5 }, "points 5, but the axes make a grid of 4"},
		{"axis value removed", func(m *Manifest) { m.Axes = m.Axes[:1] }, "points 4, but the axes make a grid of 2"},
		{"runs overflow", func(m *Manifest) { m.Runs = math.MaxInt/2 + 1 }, "runs at each of 4 points is more than"},
		{"seeds wrap", func(m *Manifest) { m.Seed = math.MaxUint64 - 1 }, "40 runs from seed 18446744073709551614 pass the largest seed"},
		{"no runs", func(m *Manifest) { m.Runs = 0 }, "must be at least 1"},
	} {
		if _, err := ReadManifest(write(c.f)); err == nil || !errors.Is(err, ErrRecords) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "sweep.json")
	os.WriteFile(path, []byte(`{"version":"one"}`), 0o644)
	if _, err := ReadManifest(path); err == nil || !strings.Contains(err.Error(), `field "version" holds a string`) || strings.Contains(err.Error(), "Go ") {
		t.Errorf("wrong type: %v", err)
	}
}
