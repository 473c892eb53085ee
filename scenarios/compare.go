package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Comparison is one question a sweep answers by comparing grid points.
// Either Axis and Baseline (every other value of the axis against the
// baseline value), or A and B (two partial points: axis path -> value).
// Axes a comparison does not name are held equal: the comparison is made
// at every combination of their values, each a verdict of its own.
type Comparison struct {
	Axis     string                     `json:"axis,omitempty"`
	Baseline json.RawMessage            `json:"baseline,omitempty"`
	A        map[string]json.RawMessage `json:"a,omitempty"`
	B        map[string]json.RawMessage `json:"b,omitempty"`
}

// compact returns v's compact JSON text ("" if v is not JSON).
func compact(v json.RawMessage) string {
	var c bytes.Buffer
	if json.Compact(&c, v) != nil {
		return ""
	}
	return c.String()
}

// axisValue reports whether the sweep has axis path with value v.
func (sw Sweep) axisValue(path string, v json.RawMessage) error {
	for _, a := range sw {
		if a.Path != path {
			continue
		}
		cv := compact(v)
		for _, x := range a.Values {
			if compact(x) == cv {
				return nil
			}
		}
		return fmt.Errorf("axis %q has no value %s", path, string(v))
	}
	return fmt.Errorf("%q is not an axis of the sweep", path)
}

// checkCompare refuses comparisons that do not name points of the sweep.
func (s Scenario) checkCompare() error {
	for i, c := range s.Compare {
		fail := func(format string, args ...any) error {
			return &lineHint{Keys: []string{"compare"},
				Err: fmt.Errorf("%w: field \"compare\" item %d: %s", ErrScenario, i, fmt.Sprintf(format, args...))}
		}
		switch {
		case c.Axis != "" && (c.A != nil || c.B != nil):
			return fail("give either axis and baseline, or a and b, not both")
		case c.Axis != "":
			if len(c.Baseline) == 0 {
				return fail("axis %q needs a baseline value", c.Axis)
			}
			if err := s.Sweep.axisValue(c.Axis, c.Baseline); err != nil {
				return fail("baseline: %v", err)
			}
		case len(c.A) == 0 || len(c.B) == 0:
			return fail("want {\"axis\": path, \"baseline\": value} or {\"a\": {path: value}, \"b\": {path: value}}")
		default:
			for _, side := range []map[string]json.RawMessage{c.A, c.B} {
				keys := make([]string, 0, len(side))
				for k := range side {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					if err := s.Sweep.axisValue(k, side[k]); err != nil {
						return fail("%v", err)
					}
				}
			}
		}
	}
	if len(s.Compare) > 0 && s.Question == "" {
		return &lineHint{Keys: []string{"compare"}, Err: fmt.Errorf("%w: field \"compare\" needs a \"question\" it answers", ErrScenario)}
	}
	return nil
}
