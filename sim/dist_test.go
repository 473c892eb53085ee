package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestDistRefusesImpossibleFigures checks that a distribution, a link, a
// partition or a user figure outside the virtual-time range is refused with
// the field and the range, instead of sampling as something else (a
// latency of 9.3e18 ms used to convert to a negative time and act like 0).
func TestDistRefusesImpossibleFigures(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"huge constant", Constant(9.3e18).Validate(), []string{"value 9.3e+18", "[0, 31536000000]"}},
		{"negative constant", Constant(-1).Validate(), []string{"value -1"}},
		{"NaN mean", Normal(math.NaN(), 1).Validate(), []string{"mean NaN"}},
		{"huge stddev", Normal(300, 1e30).Validate(), []string{"stddev 1e+30"}},
		{"huge cap", Dist{Kind: DistLogNormal, Median: 1, Cap: 1e19}.Validate(), []string{"cap 1e+19"}},
		{"infinite sigma", LogNormal(1, math.Inf(1)).Validate(), []string{"sigma +Inf"}},
		{"huge empirical point", Dist{Kind: DistEmpirical, Points: [][2]float64{{0, 1}, {1, 1e19}}}.Validate(), []string{"point 1", "ms <= 31536000000"}},
		{"loss above 1", (&Link{Latency: Constant(1), LossUp: 1.5}).Validate(), []string{"loss_up 1.5", "[0, 1]"}},
		{"NaN duplicate", (&Link{Latency: Constant(1), Duplicate: math.NaN()}).Validate(), []string{"duplicate NaN"}},
		{"huge jitter", (&Link{Latency: Constant(1), JitterMillis: 1e19}).Validate(), []string{"jitter_ms 1e+19"}},
		{"negative latency", (&Link{Latency: Uniform(-5, 10)}).Validate(), []string{"latency", "min -5"}},
		{"infinite bandwidth", (&Link{Latency: Constant(1), BytesPerSecond: math.Inf(1)}).Validate(), []string{"bytes_per_second +Inf"}},
		{"partition past the range", (&Network{Name: "x", Link: Link{Latency: Constant(1)},
			Partitions: []Partition{{Links: []string{"all"}, FromMillis: 0, ToMillis: math.MaxInt64}}}).Prepare(), []string{"partitions[0]", "to_ms 9223372036854775807"}},
		{"huge browser retry", func() error { u := DefaultUser(); u.BrowserRetryMillis = math.MaxInt64; return u.Validate() }(),
			[]string{"browser_retry_ms 9223372036854775807"}},
		{"huge scan time", func() error { u := DefaultUser(); u.Scan = Constant(1e300); return u.Validate() }(), []string{"scan", "value 1e+300"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(tc.err.Error(), w) {
					t.Errorf("error %q does not say %q", tc.err, w)
				}
			}
		})
	}
	if err := Constant(9.3e18).Validate(); !errors.Is(err, ErrDist) {
		t.Errorf("error %v does not wrap ErrDist", err)
	}
	if err := Constant(MaxDelayMillis).Validate(); err != nil {
		t.Errorf("the largest duration is refused: %v", err)
	}
}

// TestSampleStaysInRange draws from valid distributions whose tails reach
// far past the range (a normal with a huge standard deviation, a lognormal
// with a huge sigma) and a link with a tiny bandwidth: every sample and
// every delay lies in [0, MaxDelayMillis], never negative.
func TestSampleStaysInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []Dist{Normal(300, MaxDelayMillis), Normal(MaxDelayMillis, MaxDelayMillis), LogNormal(MaxDelayMillis, 50),
		LogNormal(1, 1000), Uniform(0, MaxDelayMillis)} {
		if err := d.Validate(); err != nil {
			t.Fatalf("%+v: %v", d, err)
		}
		seen0, seenMax := false, false
		for range 2000 {
			v := d.Sample(r)
			if v < 0 || v > MaxDelayMillis {
				t.Fatalf("%+v: sample %d outside [0, %d]", d, v, MaxDelayMillis)
			}
			seen0 = seen0 || v == 0
			seenMax = seenMax || v == MaxDelayMillis
		}
		if d.Kind == DistNormal && d.Mean == 300 && (!seen0 || !seenMax) {
			t.Errorf("%+v: the clamp was not exercised at both ends (0: %v, max: %v)", d, seen0, seenMax)
		}
	}
	l := Link{Latency: LogNormal(MaxDelayMillis, 50), JitterMillis: MaxDelayMillis, Reorder: 1, BytesPerSecond: 1e-300}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if v := delay(&l, r, 1<<20); v < 0 || v > MaxDelayMillis {
			t.Fatalf("delay %d outside [0, %d]", v, MaxDelayMillis)
		}
	}
}

// TestHugeStdDevRunHasNoNegativeTimes runs logins on links whose latency
// is a normal distribution with a huge standard deviation, or a lognormal
// reaching the end of virtual time, over both transports (tcp's RTO
// estimator and backoff take these samples too): the records' times are -1
// (not reached) or within the run, never negative otherwise.
func TestHugeStdDevRunHasNoNegativeTimes(t *testing.T) {
	for _, lat := range []Dist{Normal(300, 1e10), LogNormal(MaxDelayMillis, 50)} {
		for _, kind := range []string{TransportTCP, TransportDatagram} {
			net := Network{Name: "wild", Link: Link{Latency: lat, LossUp: 0.1}}
			r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388"), Network: net, Transport: Transport{Kind: kind}})
			for seed := range uint64(10) {
				res, err := r.Run(seed)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range []Millis{res.SignedInMillis, res.SecretsMillis, res.EndMillis, res.New.At, res.Existing.At} {
					if v < -1 {
						t.Fatalf("%s %+v seed %d: negative time %d in %+v", kind, lat, seed, v, res)
					}
				}
				if res.EndMillis < 0 {
					t.Fatalf("%s %+v seed %d: end %d", kind, lat, seed, res.EndMillis)
				}
			}
		}
	}
}
