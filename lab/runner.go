// Package lab is what the simrun command runs, as a library tests call
// directly: the ordered parallel runner, simulated runs with their totals
// and replay lines, and sweeps streamed to disk. The mutants battery is in
// lab/mutants, the fuzz driver in lab/fuzzer, the HTTP server and the probe
// of real homeservers in lab/live, the secure channel's reference peer in
// lab/peer, and the tests against real implementations in lab/interop.
package lab

import (
	"iter"
	"runtime"
	"sync"
)

// Pool says how Ordered spreads its jobs.
type Pool struct {
	// Workers is how many jobs run at once (at least 1).
	Workers int
	// Window bounds the jobs started but not yet delivered (0: 64 per
	// worker), so that one slow job holds back at most that many results.
	Window int
	// Stop, when closed, starts no further job (an interrupt); the jobs
	// already started still finish and are delivered.
	Stop <-chan struct{}
}

// MaxWorkers bounds Pool.Workers, and Pool.Window is at most MaxWorkers*64:
// goroutines and buffers are sized by them, and more workers than this run
// no faster.
const MaxWorkers = 1024

// DefaultWorkers is one worker per usable core.
func DefaultWorkers() int { return runtime.GOMAXPROCS(0) }

// Ordered runs each job of jobs on p.Workers goroutines and hands the
// results to deliver in job order, on the caller's goroutine. deliver
// returns false to start no further job (the first violation): the jobs
// already started still finish and are delivered. Every worker gets its own
// work function from newWorker, so that it can keep state (a simulator)
// from job to job; an error there returns before any job starts.
// interrupted says whether p.Stop closed before the last delivery.
func Ordered[J, R any](p Pool, jobs iter.Seq[J], newWorker func() (func(J) R, error), deliver func(R) bool) (interrupted bool, err error) {
	workers := min(max(p.Workers, 1), MaxWorkers)
	window := p.Window
	if window < 1 || window > MaxWorkers*64 {
		window = workers * 64
	}
	works := make([]func(J) R, workers)
	for i := range works {
		if works[i], err = newWorker(); err != nil {
			return false, err
		}
	}
	type job struct {
		seq int
		j   J
	}
	type result struct {
		seq int
		r   R
	}
	slots := make(chan struct{}, window)
	in := make(chan job)
	out := make(chan result, window)
	quit := make(chan struct{})
	var stop sync.Once
	halt := func() { stop.Do(func() { close(quit) }) }
	go func() {
		defer close(in)
		seq := 0
		for j := range jobs {
			select {
			case <-quit:
				return
			default:
			}
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			select {
			case in <- job{seq, j}:
			case <-quit:
				return
			}
			seq++
		}
	}()
	var wg sync.WaitGroup
	for _, work := range works {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jb := range in {
				out <- result{jb.seq, work(jb.j)}
			}
		}()
	}
	go func() { wg.Wait(); close(out) }()

	pending := map[int]R{}
	next := 0
	for {
		var res result
		var ok bool
		select {
		case res, ok = <-out:
		case <-p.Stop:
			if !interrupted {
				interrupted = true
				halt()
			}
			res, ok = <-out
		}
		if !ok {
			return interrupted, nil
		}
		pending[res.seq] = res.r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-slots
			if !deliver(r) {
				halt()
			}
		}
	}
}

// Each calls f(0) .. f(n-1) on at most workers goroutines and returns when
// all have returned.
func Each(n, workers int, f func(i int)) {
	jobs := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	work := func() (func(int) struct{}, error) { return func(i int) struct{} { f(i); return struct{}{} }, nil }
	Ordered(Pool{Workers: workers}, jobs, work, func(struct{}) bool { return true })
}
