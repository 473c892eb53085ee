// Package reports turns streamed run records into the lab's answers:
// timing distributions, failure rates with Wilson intervals, failure
// reasons, outcome disagreement, server load, adversary success and
// side-by-side comparisons, as Markdown and HTML with plots (gonum/plot,
// PNG and SVG).
//
// It reads records only (sim.Result and the sweep's grid point); it never
// runs the simulator. Output is deterministic for a given input: sorted
// keys, fixed plot sizes, gonum's default fonts, no timestamps, and every
// figure computed independently of the order of the records, so shards
// merged in any order give the same report.
//
// Records are checked as they are read: a line that is not a run record,
// or a record whose point, seed or axis values are not the sweep's, is an
// error; a second record of one run is dropped and counted. LockDir gives a
// sweep folder's writer an OS file lock, so that a second writer is refused.
package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"qrlab/sim"
)

// Record is one run as simrun sweep writes it: the grid point, the values
// of its axes, and the simulator's result.
type Record struct {
	Point int                        `json:"point"`
	Axes  map[string]json.RawMessage `json:"axes,omitempty"`
	sim.Result
}

// Failed reports whether the login failed (one device did not succeed).
func (r *Record) Failed() bool { return !r.Success() }

// Reason is the failure reason a report counts: the new device's, else the
// existing device's, else "unfinished" ("" when the login succeeded).
func (r *Record) Reason() string {
	if r.Success() {
		return ""
	}
	switch {
	case r.Violation != nil:
		return "violation:" + r.Violation.Invariant
	case r.New.Reason != "":
		return r.New.Reason
	case r.Existing.Reason != "":
		return r.Existing.Reason
	case r.New.Outcome != "" && !r.New.Success:
		return r.New.Outcome
	}
	return "unfinished"
}

// Disagree reports whether the two devices ended differently (one
// succeeded, the other failed).
func (r *Record) Disagree() bool {
	return r.Agreement == "new-only" || r.Agreement == "existing-only"
}

// Manifest describes a sweep: it is DIR/sweep.json. Shards and resumed
// runs of one sweep share its Fingerprint.
type Manifest struct {
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Fingerprint string          `json:"fingerprint"`
	Axes        []Axis          `json:"axes"`
	Points      int             `json:"points"`
	Runs        int             `json:"runs_per_point"`
	Seed        uint64          `json:"seed"`
	Shard       string          `json:"shard,omitempty"`
	Merged      []string        `json:"merged_shards,omitempty"`
	Scenario    json.RawMessage `json:"scenario"`
}

// Axis is one swept knob and its values (JSON text).
type Axis struct {
	Path   string            `json:"path"`
	Values []json.RawMessage `json:"values"`
}

// ManifestVersion is the sweep.json format this package writes.
const ManifestVersion = 1

// Jobs is the number of runs of the whole sweep.
func (m *Manifest) Jobs() int { return m.Points * m.Runs }

// Job is the index of run (point, seed) in the sweep's job list: point
// major, seed minor. ok is false for a run outside the sweep.
func (m *Manifest) Job(point int, seed uint64) (int, bool) {
	if point < 0 || point >= m.Points || seed < m.Seed || seed-m.Seed >= uint64(m.Runs) {
		return 0, false
	}
	return point*m.Runs + int(seed-m.Seed), true
}

// PointValues returns the axis values of a point (one per axis).
func (m *Manifest) PointValues(point int) []json.RawMessage {
	vals := make([]json.RawMessage, len(m.Axes))
	for i := len(m.Axes) - 1; i >= 0; i-- {
		n := len(m.Axes[i].Values)
		vals[i] = m.Axes[i].Values[point%n]
		point /= n
	}
	return vals
}

// ReadManifest reads DIR/sweep.json.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w: %s: field %q holds a %s", ErrRecords, path, te.Field, te.Value)
		}
		return nil, fmt.Errorf("%w: %s: not a sweep manifest: %s", ErrRecords, path, strings.TrimPrefix(err.Error(), "json: "))
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("%w: %s: version %d, this build reads %d", ErrRecords, path, m.Version, ManifestVersion)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRecords, path, err)
	}
	return &m, nil
}

// check refuses counts that do not describe a sweep: points and runs of at
// least 1, points the product of the axes' value counts, runs times points
// within an int and seeds within 2^64-1.
func (m *Manifest) check() error {
	if m.Points < 1 || m.Runs < 1 {
		return fmt.Errorf("points %d and runs_per_point %d must be at least 1", m.Points, m.Runs)
	}
	grid := 1
	for _, a := range m.Axes {
		if len(a.Values) == 0 || grid > math.MaxInt/len(a.Values) {
			return fmt.Errorf("axis %q: %d values do not make a grid of %d points", a.Path, len(a.Values), m.Points)
		}
		grid *= len(a.Values)
	}
	if grid != m.Points {
		return fmt.Errorf("points %d, but the axes make a grid of %d", m.Points, grid)
	}
	if m.Runs > math.MaxInt/m.Points {
		return fmt.Errorf("%d runs at each of %d points is more than %d runs", m.Runs, m.Points, math.MaxInt)
	}
	if uint64(m.Runs-1) > math.MaxUint64-m.Seed {
		return fmt.Errorf("%d runs from seed %d pass the largest seed", m.Runs, m.Seed)
	}
	return nil
}

// WriteManifest writes m to path, indented.
func WriteManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ErrRecords is wrapped by errors about a records file's content.
var ErrRecords = errors.New("bad run records")

// Scan reads JSON Lines records from r and calls fn for each. A last line
// that is cut short (no newline, or not valid JSON: the writer was killed)
// is skipped, and valid is the byte length of the complete records, so a
// resumed writer can truncate there. A bad line elsewhere, or a complete
// line that is not a run record (an unknown field, no variant, agreement or
// trace hash: "{}" or a scenario file), is an error with its line number.
func Scan(r io.Reader, name string, fn func(*Record) error) (valid int64, n int, err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var pending []byte // a bad line, an error unless it is the last
	line := 0
	var fast recordDecoder
	for {
		b, rerr := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
			if pending != nil {
				return valid, n, fmt.Errorf("%w: %s:%d: %s", ErrRecords, name, line-1, pending)
			}
			complete := b[len(b)-1] == '\n'
			body := bytes.TrimSpace(b)
			if len(body) == 0 {
				if complete {
					valid += int64(len(b))
				}
			} else {
				var rec Record
				derr, serr := decodeRecord(&fast, body, &rec)
				if serr != nil && complete {
					return valid, n, fmt.Errorf("%w: %s:%d: %v", ErrRecords, name, line, serr)
				}
				if derr == nil {
					derr = serr
				}
				if derr != nil || !complete {
					if derr == nil {
						derr = errors.New("no newline at the end")
					}
					pending = []byte(derr.Error())
				} else {
					if err := fn(&rec); err != nil {
						return valid, n, fmt.Errorf("%s:%d: %w", name, line, err)
					}
					n++
					valid += int64(len(b))
				}
			}
		}
		if rerr == io.EOF {
			return valid, n, nil
		}
		if rerr != nil {
			return valid, n, rerr
		}
	}
}

// ScanFile is Scan over a file.
func ScanFile(path string, fn func(*Record) error) (valid int64, n int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	return Scan(f, path, fn)
}

// valueText renders an axis value for tables and labels: strings unquoted,
// lists of strings joined with "+" ("none" when empty, as for adversaries),
// anything else as its JSON text.
func valueText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(v, &list) == nil && strings.HasPrefix(strings.TrimSpace(string(v)), "[") {
		if len(list) == 0 {
			return "none"
		}
		return strings.Join(list, "+")
	}
	return string(v)
}

// valueNumber reads a numeric axis value.
func valueNumber(v json.RawMessage) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	return f, err == nil
}
