package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"

	"qrlab/sim"
)

// Axis is one swept knob: a knob path (see KnobPaths) and the values it
// takes, in the order the file gives them.
type Axis struct {
	Path   string
	Values []json.RawMessage
}

// Sweep is the scenario's axes in file order; the grid is their Cartesian
// product, the first axis varying slowest.
type Sweep []Axis

// MaxPoints bounds a sweep's grid.
const MaxPoints = 100_000

// UnmarshalJSON reads {"path": [values...], ...} keeping the order.
func (sw *Sweep) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("sweep: want an object {\"knob.path\": [values...]}")
	}
	seen := map[string]bool{}
	*sw = nil
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		path := t.(string)
		if seen[path] {
			return fmt.Errorf("sweep: axis %q given twice", path)
		}
		seen[path] = true
		var vals []json.RawMessage
		if err := dec.Decode(&vals); err != nil {
			return fmt.Errorf("sweep: axis %q: want a list of values", path)
		}
		if len(vals) > MaxPoints {
			return fmt.Errorf("sweep: axis %q has %d values: the grid has more than %d points", path, len(vals), MaxPoints)
		}
		for i, v := range vals {
			var c bytes.Buffer
			if err := json.Compact(&c, v); err != nil {
				return fmt.Errorf("sweep: axis %q value %d: %v", path, i, err)
			}
			vals[i] = c.Bytes()
		}
		*sw = append(*sw, Axis{Path: path, Values: vals})
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	return nil
}

// MarshalJSON writes the axes as an object in their order.
func (sw Sweep) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, a := range sw {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Path)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(a.Values)
		if err != nil {
			return nil, err
		}
		if a.Values == nil {
			v = []byte("[]")
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Point is one grid point of a sweep: its index in the grid, the value of
// every axis, and the scenario that runs it (the base scenario with the
// axis values applied and no sweep).
type Point struct {
	Index    int
	Values   []json.RawMessage
	Scenario Scenario
	label    string
}

// Axes returns the point's axis values by path.
func (p Point) Axes(sw Sweep) map[string]json.RawMessage {
	if len(sw) == 0 {
		return nil
	}
	m := make(map[string]json.RawMessage, len(sw))
	for i, a := range sw {
		m[a.Path] = p.Values[i]
	}
	return m
}

// GridSize is the number of points of the sweep (1 without axes). Past
// MaxPoints it stops multiplying and returns a number above MaxPoints.
func (s Scenario) GridSize() int {
	n := 1
	for _, a := range s.Sweep {
		n *= len(a.Values)
		if n > MaxPoints || n == 0 {
			return n
		}
	}
	return n
}

// Jobs is the number of runs the scenario asks for: Runs seeds (1 when
// Runs is 0, the field left out) at every grid point. It refuses a
// negative count, seeds past the largest seed (2^64-1) and a product of
// counts that does not fit an int.
func (s Scenario) Jobs() (int, error) {
	runs := s.Runs
	if runs < 0 {
		return 0, &lineHint{Keys: []string{"runs"}, Err: fmt.Errorf("%w: field \"runs\": %d is negative", ErrScenario, runs)}
	}
	if runs == 0 {
		runs = 1
	}
	if uint64(runs-1) > math.MaxUint64-s.Seed {
		return 0, &lineHint{Keys: []string{"runs"}, Err: fmt.Errorf("%w: fields \"seed\" and \"runs\": %d runs from seed %d pass the largest seed %d",
			ErrScenario, runs, s.Seed, uint64(math.MaxUint64))}
	}
	n := s.GridSize()
	if n > MaxPoints {
		return 0, &lineHint{Keys: []string{"sweep"}, Err: fmt.Errorf("%w: field \"sweep\": the grid has more than %d points", ErrScenario, MaxPoints)}
	}
	if n > 0 && runs > math.MaxInt/n {
		return 0, &lineHint{Keys: []string{"runs"},
			Err: fmt.Errorf("%w: field \"runs\": %d runs at each of %d grid points is more than %d runs", ErrScenario, runs, n, math.MaxInt)}
	}
	return runs * n, nil
}

// Points expands the sweep into its grid; a scenario without axes has one
// point. The grid's size is checked first, then every axis value alone
// against the base scenario (one configuration per distinct value, not one
// per point), so a bad axis or value is an error naming it. A combination
// of values that is bad only together is found by the point's Resolve,
// which names the point.
func (s Scenario) Points() ([]Point, error) {
	if _, err := s.Jobs(); err != nil {
		return nil, err
	}
	n := s.GridSize()
	if err := s.checkAxes(); err != nil {
		return nil, err
	}
	pts := make([]Point, n)
	idx := make([]int, len(s.Sweep))
	for i := 0; i < n; i++ {
		vals := make([]json.RawMessage, len(s.Sweep))
		for a := range s.Sweep {
			vals[a] = s.Sweep[a].Values[idx[a]]
		}
		sc, err := s.At(vals)
		if err != nil {
			return nil, fmt.Errorf("sweep point %d (%s): %w", i, pointLabel(s.Sweep, vals), err)
		}
		pts[i] = Point{Index: i, Values: vals, Scenario: sc, label: pointLabel(s.Sweep, vals)}
		for a := len(idx) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < len(s.Sweep[a].Values) {
				break
			}
			idx[a] = 0
		}
	}
	return pts, nil
}

// At returns the scenario of one grid point: the axis values (one per axis,
// in order) applied to a copy of s, without the sweep.
func (s Scenario) At(vals []json.RawMessage) (Scenario, error) {
	if len(vals) != len(s.Sweep) {
		return s, fmt.Errorf("%w: %d values for %d axes", ErrScenario, len(vals), len(s.Sweep))
	}
	out := s
	out.Sweep = nil
	out.Set = maps.Clone(s.Set)
	for i, a := range s.Sweep {
		if isTopLevel(a.Path) {
			if err := out.setTopLevel(a.Path, vals[i]); err != nil {
				return s, err
			}
			continue
		}
		if out.Set == nil {
			out.Set = map[string]json.RawMessage{}
		}
		out.Set[a.Path] = vals[i]
	}
	return out, nil
}

// checkAxes checks every axis path, and every value alone against the base
// scenario, so that an error names the axis and the value.
func (s Scenario) checkAxes() error {
	for _, a := range s.Sweep {
		if err := checkPath(a.Path); err != nil {
			return &lineHint{Path: a.Path, Err: fmt.Errorf("field \"sweep\": %w", err)}
		}
		if len(a.Values) == 0 {
			return &lineHint{Path: a.Path, Err: fmt.Errorf("field \"sweep\": %w", knobErr(a.Path, "no values"))}
		}
		seen := map[string]bool{}
		for _, v := range a.Values {
			if seen[string(v)] {
				return &lineHint{Path: a.Path, Err: fmt.Errorf("field \"sweep\": %w", knobErr(a.Path, "value %s given twice", v))}
			}
			seen[string(v)] = true
			one := s
			one.Sweep = Sweep{{Path: a.Path, Values: []json.RawMessage{v}}}
			sc, err := one.At([]json.RawMessage{v})
			if err == nil {
				_, err = sc.Config()
			}
			if err != nil {
				var ke *KnobError
				if errors.As(err, &ke) {
					err = ke.Err
				}
				return &lineHint{Path: a.Path, Err: fmt.Errorf("field \"sweep\": axis %q value %s: %w", a.Path, v, err)}
			}
		}
	}
	return nil
}

// pointLabel names a point by its axis values, "path=value, ...".
func pointLabel(sw Sweep, vals []json.RawMessage) string {
	parts := make([]string, len(sw))
	for i, a := range sw {
		parts[i] = a.Path + "=" + string(vals[i])
	}
	return strings.Join(parts, ", ")
}

// Fingerprint identifies what a sweep runs: the scenario (its axes and set
// knobs included), the runs per point and the first seed. Shards and
// resumed runs of one sweep share it; anything else differs.
func (s Scenario) Fingerprint(runs int, seed uint64) string {
	c := s
	c.Runs, c.Seed = runs, seed
	b, _ := json.Marshal(c)
	h := sha256.Sum256(append([]byte("qrlab sweep v1\n"), b...))
	return hex.EncodeToString(h[:12])
}

// Resolve is Config for a point scenario: the simulator's configuration.
// An error names the point by its index and axis values.
func (p Point) Resolve() (sim.Config, error) {
	cfg, err := p.Scenario.Config()
	if err != nil && p.label != "" {
		return cfg, fmt.Errorf("sweep point %d (%s): %w", p.Index, p.label, err)
	}
	return cfg, err
}

// lineHint carries what an error is about, so that Parse can give its line,
// without adding to the message: a knob path (one key of "set" or "sweep"),
// or the path of keys from the top of the scenario object.
type lineHint struct {
	Path string
	Keys []string
	Err  error
}

func (e *lineHint) Error() string { return e.Err.Error() }
func (e *lineHint) Unwrap() error { return e.Err }
