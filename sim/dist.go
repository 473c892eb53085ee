package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Dist is a distribution of durations in milliseconds, written as data so
// that network profiles and user models can live in scenario files:
//
//	{"kind": "constant", "value": 20}
//	{"kind": "uniform", "min": 10, "max": 40}
//	{"kind": "normal", "mean": 300, "stddev": 20}
//	{"kind": "lognormal", "median": 35, "sigma": 0.4}
//	{"kind": "empirical", "points": [[0, 12], [0.5, 30], [0.9, 80], [0.99, 400], [1, 1500]]}
//
// Every figure in milliseconds lies in [0, MaxDelayMillis] (a year), and
// so does every sample: a tail past it is clamped, never negative. An empirical distribution is given by points
// (p, ms) of its quantile function, p from 0 to 1 ascending; a sample draws
// p uniformly and interpolates linearly between the points around it.
type Dist struct {
	Kind   string       `json:"kind"`
	Value  float64      `json:"value,omitempty"`
	Min    float64      `json:"min,omitempty"`
	Max    float64      `json:"max,omitempty"`
	Mean   float64      `json:"mean,omitempty"`
	StdDev float64      `json:"stddev,omitempty"`
	Median float64      `json:"median,omitempty"`
	Sigma  float64      `json:"sigma,omitempty"`
	Points [][2]float64 `json:"points,omitempty"`
	// Cap bounds every sample (0: no bound), so a heavy tail cannot stall a
	// run forever.
	Cap float64 `json:"cap,omitempty"`
}

// The distribution kinds.
const (
	DistConstant  = "constant"
	DistUniform   = "uniform"
	DistNormal    = "normal"
	DistLogNormal = "lognormal"
	DistEmpirical = "empirical"
)

// Constant is a distribution that always gives ms.
func Constant(ms float64) Dist { return Dist{Kind: DistConstant, Value: ms} }

// Uniform draws uniformly from [lo, hi].
func Uniform(lo, hi float64) Dist { return Dist{Kind: DistUniform, Min: lo, Max: hi} }

// Normal draws from a normal distribution, clipped at 0.
func Normal(mean, sd float64) Dist { return Dist{Kind: DistNormal, Mean: mean, StdDev: sd} }

// LogNormal draws from a log-normal distribution with the given median and
// shape sigma (the standard deviation of its logarithm).
func LogNormal(median, sigma float64) Dist {
	return Dist{Kind: DistLogNormal, Median: median, Sigma: sigma}
}

// ErrDist is wrapped by every Validate error.
var ErrDist = errors.New("invalid distribution")

// MaxDelayMillis is the longest duration a distribution, a link or a user
// step can add to a run: a year of virtual time. Every figure in
// milliseconds must lie in [0, MaxDelayMillis], and every sample is clamped
// into that range, so that no sum of delays can overflow virtual time (a
// run itself ends within hours).
const MaxDelayMillis = 365 * 24 * 3600 * 1000

// distKinds lists the kinds for error messages.
const distKinds = "constant, uniform, normal, lognormal, empirical"

// inRange reports whether v is a duration in [0, MaxDelayMillis].
func inRange(v float64) bool { return v >= 0 && v <= MaxDelayMillis } // false for NaN

// Validate checks the parameters for the kind: every duration in
// [0, MaxDelayMillis] ms, sigma finite and not negative.
func (d Dist) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrDist, fmt.Sprintf(f, a...)) }
	for _, p := range []struct {
		name string
		v    float64
	}{{"value", d.Value}, {"min", d.Min}, {"max", d.Max}, {"mean", d.Mean}, {"stddev", d.StdDev}, {"median", d.Median}, {"cap", d.Cap}} {
		if !inRange(p.v) {
			return bad("%s: %s %g is outside [0, %d] ms", d.Kind, p.name, p.v, MaxDelayMillis)
		}
	}
	if math.IsNaN(d.Sigma) || math.IsInf(d.Sigma, 0) || d.Sigma < 0 {
		return bad("%s: sigma %g must be finite and not negative", d.Kind, d.Sigma)
	}
	switch d.Kind {
	case DistConstant:
	case DistUniform:
		if d.Max < d.Min {
			return bad("uniform: max %g below min %g", d.Max, d.Min)
		}
	case DistNormal:
	case DistLogNormal:
		if d.Median <= 0 {
			return bad("lognormal: median must be positive")
		}
	case DistEmpirical:
		if len(d.Points) < 2 {
			return bad("empirical: at least two points (p, ms) are needed")
		}
		for i, p := range d.Points {
			if !(p[0] >= 0 && p[0] <= 1) || !inRange(p[1]) {
				return bad("empirical: point %d (%g, %g) must have 0 <= p <= 1 and 0 <= ms <= %d", i, p[0], p[1], MaxDelayMillis)
			}
			if i > 0 && (p[0] <= d.Points[i-1][0] || p[1] < d.Points[i-1][1]) {
				return bad("empirical: point %d must come after point %d in p and in ms", i, i-1)
			}
		}
		if d.Points[0][0] != 0 || d.Points[len(d.Points)-1][0] != 1 {
			return bad("empirical: the points must start at p=0 and end at p=1")
		}
	case "":
		return bad("no kind (%s)", distKinds)
	default:
		return bad("unknown kind %q (%s)", d.Kind, distKinds)
	}
	return nil
}

// Sample draws one duration in milliseconds from r, in [0, the cap if any,
// else MaxDelayMillis]: a tail past the range is clamped, never negative
// and never overflowing.
func (d *Dist) Sample(r *rand.Rand) Millis {
	var v float64
	switch d.Kind {
	case DistConstant:
		v = d.Value
	case DistUniform:
		v = d.Min + r.Float64()*(d.Max-d.Min)
	case DistNormal:
		v = d.Mean + r.NormFloat64()*d.StdDev
	case DistLogNormal:
		v = d.Median * math.Exp(r.NormFloat64()*d.Sigma)
	case DistEmpirical:
		v = d.quantile(r.Float64())
	}
	return clampMillis(d.Cap, v)
}

// clampMillis rounds v to whole milliseconds in [0, limit] (limit 0: no
// cap but MaxDelayMillis), NaN giving 0.
func clampMillis(limit, v float64) Millis {
	if limit > 0 && v > limit {
		v = limit
	}
	if v > MaxDelayMillis {
		v = MaxDelayMillis
	}
	if !(v > 0) { // also NaN
		return 0
	}
	return Millis(math.Round(v))
}

func (d *Dist) quantile(p float64) float64 {
	pts := d.Points
	i := sort.Search(len(pts), func(i int) bool { return pts[i][0] >= p })
	if i == 0 {
		return pts[0][1]
	}
	if i >= len(pts) {
		return pts[len(pts)-1][1]
	}
	a, b := pts[i-1], pts[i]
	return a[1] + (p-a[0])/(b[0]-a[0])*(b[1]-a[1])
}

// MedianMillis is the distribution's median, for documentation and sanity
// checks.
func (d *Dist) MedianMillis() float64 {
	var v float64
	switch d.Kind {
	case DistConstant:
		v = d.Value
	case DistUniform:
		v = (d.Min + d.Max) / 2
	case DistNormal:
		v = math.Max(d.Mean, 0)
	case DistLogNormal:
		v = d.Median
	case DistEmpirical:
		v = d.quantile(0.5)
	}
	if d.Cap > 0 && v > d.Cap {
		v = d.Cap
	}
	return v
}
