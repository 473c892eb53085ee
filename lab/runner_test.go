package lab

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"testing"
)

func upTo(n int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// TestOrderedDeliversInOrder: whatever order the workers finish in, the
// results arrive in job order, each once.
func TestOrderedDeliversInOrder(t *testing.T) {
	var got []int
	work := func() (func(int) int, error) {
		return func(i int) int {
			for range (i % 7) * 1000 { // uneven work
				atomic.AddInt64(new(int64), 1)
			}
			return i * i
		}, nil
	}
	if _, err := Ordered(Pool{Workers: 4, Window: 3}, upTo(500), work, func(r int) bool { got = append(got, r); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 500 {
		t.Fatalf("%d results, want 500", len(got))
	}
	for i, r := range got {
		if r != i*i {
			t.Fatalf("result %d is %d, want %d", i, r, i*i)
		}
	}
}

// TestOrderedStops: after deliver says stop, no job beyond the window
// starts, and what was started is still delivered, in order.
func TestOrderedStops(t *testing.T) {
	var started atomic.Int64
	work := func() (func(int) int, error) {
		return func(i int) int { started.Add(1); return i }, nil
	}
	var got []int
	Ordered(Pool{Workers: 2, Window: 4}, upTo(1_000_000), work, func(r int) bool { got = append(got, r); return r < 10 })
	if !slices.IsSorted(got) || got[0] != 0 || got[len(got)-1] != len(got)-1 {
		t.Fatalf("delivered out of order or with gaps: %v", got)
	}
	if n := started.Load(); n > 10+1+4+2 || len(got) < 11 {
		t.Fatalf("%d jobs started and %d delivered after a stop at job 10", n, len(got))
	}
}

// TestOrderedInterrupt: a closed Stop starts nothing more and is reported.
func TestOrderedInterrupt(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	work := func() (func(int) int, error) { return func(i int) int { return i }, nil }
	n := 0
	interrupted, err := Ordered(Pool{Workers: 2, Stop: stop}, upTo(1_000_000), work, func(int) bool { n++; return true })
	if err != nil || !interrupted || n > 2*64 {
		t.Fatalf("interrupted %v, err %v, %d delivered", interrupted, err, n)
	}
}

// TestQuantile: Lower takes an observed value at floor(p*(n-1)); Midpoint
// (the median) the mean of the middle two of an even count.
func TestQuantile(t *testing.T) {
	for _, c := range []struct {
		name string
		xs   []float64
		p    float64
		how  Between
		want float64
	}{
		{"empty", nil, .5, Lower, 0},
		{"one", []float64{3}, .99, Lower, 3},
		{"lower even median", []float64{4, 1, 3, 2}, .5, Lower, 2},
		{"midpoint even median", []float64{4, 1, 3, 2}, .5, Midpoint, 2.5},
		{"midpoint odd median", []float64{5, 1, 3}, .5, Midpoint, 3},
		{"lower p90 of ten", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, .9, Lower, 9},
		{"lower p99 of ten", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, .99, Lower, 9},
	} {
		if got := Quantile(c.xs, c.p, c.how); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	xs := []float64{3, 1, 2}
	if Median(xs); !slices.IsSorted(xs) {
		t.Errorf("Median left xs unsorted: %v", xs)
	}
}

// TestOrderedBounds: a pool asking for more workers or a larger window than
// MaxWorkers allows still runs every job, in order, without sizing
// goroutines or buffers by the request.
func TestOrderedBounds(t *testing.T) {
	jobs := func(yield func(int) bool) {
		for i := range 5 {
			if !yield(i) {
				return
			}
		}
	}
	made := 0
	newWorker := func() (func(int) int, error) { made++; return func(i int) int { return i }, nil }
	var got []int
	if _, err := Ordered(Pool{Workers: math.MaxInt, Window: math.MaxInt}, jobs, newWorker, func(r int) bool { got = append(got, r); return true }); err != nil {
		t.Fatal(err)
	}
	if made != MaxWorkers || fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("%d workers made, results %v", made, got)
	}
}
