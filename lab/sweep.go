package lab

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"qrlab/reports"
	"qrlab/scenarios"
	"qrlab/sim"
)

// SweepOptions say where and how Sweep runs a scenario's grid.
type SweepOptions struct {
	// Dir receives sweep.json, runs.jsonl and runs.csv.
	Dir     string
	Workers int
	// Shard K of N runs jobs K, K+N, K+2N, ... (N 0 means 1).
	ShardK, ShardN int
	// Resume continues the sweep already in Dir.
	Resume bool
	// Stop, when closed, interrupts the sweep: the runs under way are
	// recorded and nothing more starts.
	Stop <-chan struct{}
	// Warn is told what went wrong along the way: a half-written record
	// dropped on resume, a run or record that failed (which stops the
	// sweep: Sweep then returns ErrStopped).
	Warn func(error)
	// Begin, when set, is called with the number of runs to do before the
	// first starts; Progress after each with the number recorded so far.
	Begin    func(todo int)
	Progress func(ran int)
}

// ErrStopped is Sweep's error when a run or a record failed; Warn was told
// which.
var ErrStopped = errors.New("sweep stopped on an error")

// SweepResult is what a sweep did.
type SweepResult struct {
	Manifest *reports.Manifest
	// ShardJobs is the number of runs in this shard (all of them for one
	// shard); Prior of those were recorded before, Ran now.
	ShardJobs, Prior, Ran int
	Failed, Violations    int
	Workers               int
	Elapsed               time.Duration
	JSONLPath, CSVPath    string
	Interrupted           bool
	FirstViolation        *reports.Record
}

// ParseShard reads "K/N" (0 <= K < N).
func ParseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("%q is not K/N with 0 <= K < N (shards are numbered from 0)", s)
	}
	return k, n, nil
}

// Manifest describes the sweep of sc over its points.
func Manifest(sc scenarios.Scenario, points int) (*reports.Manifest, error) {
	raw, err := json.Marshal(sc)
	if err != nil {
		return nil, err
	}
	m := &reports.Manifest{Version: reports.ManifestVersion, Name: sc.Name, Description: sc.Description,
		Fingerprint: sc.Fingerprint(sc.Runs, sc.Seed), Points: points, Runs: sc.Runs, Seed: sc.Seed, Scenario: raw}
	for _, a := range sc.Sweep {
		m.Axes = append(m.Axes, reports.Axis{Path: a.Path, Values: a.Values})
	}
	return m, nil
}

// MaxJobs bounds a sweep's runs (points × runs per point), so that a job
// number, a count of runs and a seed offset always fit an int.
const MaxJobs = 1 << 40

// CheckCounts refuses a sweep of points × runs that is empty, passes
// MaxJobs (the product is checked without overflowing) or whose seeds
// seed .. seed+runs-1 pass the largest seed.
func CheckCounts(points, runs int, seed uint64) error {
	switch {
	case points < 1 || runs < 1:
		return fmt.Errorf("%d point(s) × %d run(s): both must be at least 1", points, runs)
	case runs > MaxJobs/points:
		return fmt.Errorf("%d point(s) × %d run(s) is more than %d runs", points, runs, int64(MaxJobs))
	}
	return CheckSeeds(seed, runs)
}

// CheckSeeds refuses runs seeds from seed on that would wrap past the
// largest seed (2^64-1) back to 0.
func CheckSeeds(seed uint64, runs int) error {
	if runs > 1 && seed > math.MaxUint64-uint64(runs-1) {
		return fmt.Errorf("seeds %d and the %d after it pass the largest seed %d: a smaller seed or fewer runs", seed, runs-1, uint64(math.MaxUint64))
	}
	return nil
}

// doneSet marks done jobs, one bit per job, in chunks allocated when a job
// in them is first marked: its memory follows the runs recorded, not the
// size of the sweep.
type doneSet struct {
	chunks map[int]*[doneChunkWords]uint64
}

const (
	doneChunkBits  = 1 << 16
	doneChunkWords = doneChunkBits / 64
)

func newDoneSet() *doneSet { return &doneSet{chunks: map[int]*[doneChunkWords]uint64{}} }

func (d *doneSet) get(i int) bool {
	c := d.chunks[i/doneChunkBits]
	return c != nil && c[i%doneChunkBits/64]&(1<<(i%64)) != 0
}

func (d *doneSet) set(i int) {
	c := d.chunks[i/doneChunkBits]
	if c == nil {
		c = new([doneChunkWords]uint64)
		d.chunks[i/doneChunkBits] = c
	}
	c[i%doneChunkBits/64] |= 1 << (i % 64)
}

// sweepRun is one finished run on its way to the writer.
type sweepRun struct {
	rec reports.Record
	err error
}

// sweep is one Sweep under way.
type sweep struct {
	o      SweepOptions
	m      *reports.Manifest
	cfgs   []sim.Config
	axes   []map[string]json.RawMessage
	done   *doneSet
	jw     *bufio.Writer
	cw     *reports.CSVWriter
	res    SweepResult
	werr   error
	flushd time.Time
}

// Sweep runs every point of sc's grid, sc.Runs seeds each, on o.Workers
// goroutines, and streams one record per run to o.Dir as runs finish, in
// job order. An error before the first run says what is wrong with the
// scenario or the directory.
func Sweep(sc scenarios.Scenario, o SweepOptions) (*SweepResult, error) {
	if o.ShardN < 1 {
		o.ShardK, o.ShardN = 0, 1
	}
	s, err := newSweep(sc, o)
	if err != nil {
		return nil, err
	}
	lock, err := reports.LockDir(o.Dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	done, prior, err := openDir(o.Dir, o.Resume, s.m, s.inShard, o.Warn)
	if err != nil {
		return nil, err
	}
	s.done, s.res.Prior = done, prior
	jf, err := os.OpenFile(s.res.JSONLPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer jf.Close()
	cf, err := os.OpenFile(s.res.CSVPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	cwb := bufio.NewWriterSize(cf, 1<<16)
	s.jw = bufio.NewWriterSize(jf, 1<<16)
	st, err := cf.Stat()
	if err != nil {
		return nil, err
	}
	s.cw = reports.NewCSVWriter(cwb, axisPaths(s.m), st.Size() == 0)
	return s.run()
}

func newSweep(sc scenarios.Scenario, o SweepOptions) (*sweep, error) {
	pts, err := sc.Points()
	if err != nil {
		return nil, err
	}
	m, err := Manifest(sc, len(pts))
	if err != nil {
		return nil, err
	}
	if o.ShardN > 1 {
		m.Shard = fmt.Sprintf("%d/%d", o.ShardK, o.ShardN)
	}
	if err := CheckCounts(len(pts), sc.Runs, sc.Seed); err != nil {
		return nil, err
	}
	s := &sweep{o: o, m: m, cfgs: make([]sim.Config, len(pts)), axes: make([]map[string]json.RawMessage, len(pts))}
	for i, p := range pts {
		if s.cfgs[i], err = p.Resolve(); err != nil {
			return nil, fmt.Errorf("point %d: %v", i, err)
		}
		s.axes[i] = p.Axes(sc.Sweep)
	}
	s.res.Manifest = m
	s.res.JSONLPath, s.res.CSVPath = filepath.Join(o.Dir, "runs.jsonl"), filepath.Join(o.Dir, "runs.csv")
	return s, nil
}

func axisPaths(m *reports.Manifest) []string {
	var paths []string
	for _, a := range m.Axes {
		paths = append(paths, a.Path)
	}
	return paths
}

// inShard reports whether job j is this invocation's (ignoring done).
func (s *sweep) inShard(j int) bool { return j%s.o.ShardN == s.o.ShardK }

// shardJobs is the number of jobs in this shard: K, K+N, ... below Jobs.
func (s *sweep) shardJobs() int {
	if s.o.ShardK >= s.m.Jobs() {
		return 0
	}
	return (s.m.Jobs()-s.o.ShardK-1)/s.o.ShardN + 1
}

// jobs are this invocation's jobs, in order: the shard's not yet done.
func (s *sweep) jobs() iter.Seq[int] {
	return func(yield func(int) bool) {
		for j := s.o.ShardK; j < s.m.Jobs(); j += s.o.ShardN {
			if !s.done.get(j) && !yield(j) {
				return
			}
		}
	}
}

// worker runs jobs, keeping a simulator for the point it is on.
func (s *sweep) worker() (func(int) sweepRun, error) {
	var r *sim.Runner
	cur := -1
	return func(j int) sweepRun {
		point, seed := j/s.m.Runs, s.m.Seed+uint64(j%s.m.Runs)
		if point != cur {
			var err error
			if r, err = sim.NewRunner(s.cfgs[point]); err != nil {
				return sweepRun{err: err}
			}
			cur = point
		}
		res, err := r.Run(seed)
		return sweepRun{rec: reports.Record{Point: point, Axes: s.axes[point], Result: res}, err: err}
	}, nil
}

func (s *sweep) run() (*SweepResult, error) {
	// openDir counted the shard's recorded runs in Prior.
	s.res.ShardJobs = s.shardJobs()
	todo := s.res.ShardJobs - s.res.Prior
	s.res.Workers = max(1, min(s.o.Workers, todo))
	if s.o.Begin != nil {
		s.o.Begin(todo)
	}
	start := time.Now()
	s.flushd = start
	interrupted, _ := Ordered(Pool{Workers: s.res.Workers, Stop: s.o.Stop}, s.jobs(), s.worker, s.record)
	ferr := s.jw.Flush()
	if err := s.cw.Flush(); ferr == nil {
		ferr = err
	}
	s.res.Elapsed = time.Since(start)
	s.res.Interrupted = interrupted
	switch {
	case ferr != nil:
		return &s.res, ferr
	case s.werr != nil:
		return &s.res, ErrStopped
	}
	return &s.res, nil
}

// record writes one finished run; false after an error.
func (s *sweep) record(sr sweepRun) bool {
	if sr.err != nil {
		s.warn(fmt.Errorf("point %d seed %d: %v", sr.rec.Point, sr.rec.Seed, sr.err))
		s.werr = sr.err
		return false
	}
	if s.werr != nil {
		return true
	}
	rec := &sr.rec
	b, err := json.Marshal(rec)
	if err == nil {
		b = append(b, '\n')
		_, err = s.jw.Write(b)
	}
	if err == nil {
		err = s.cw.Write(rec)
	}
	if err != nil {
		s.warn(fmt.Errorf("writing records: %v", err))
		s.werr = err
		return false
	}
	s.res.Ran++
	if rec.Failed() {
		s.res.Failed++
	}
	if rec.Violation != nil {
		s.res.Violations++
		if s.res.FirstViolation == nil {
			c := *rec
			s.res.FirstViolation = &c
		}
	}
	if time.Since(s.flushd) > time.Second {
		s.jw.Flush()
		s.cw.Flush()
		s.flushd = time.Now()
	}
	if s.o.Progress != nil {
		s.o.Progress(s.res.Ran)
	}
	return true
}

func (s *sweep) warn(err error) {
	if s.o.Warn != nil {
		s.o.Warn(err)
	}
}
