package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"qrlab/reports"
	"qrlab/scenarios"
	"qrlab/sim"
)

const sweepUsage = `usage: simrun sweep SCENARIO [flags]

Runs a scenario's sweep: every point of the grid its "sweep" axes span (a
scenario without axes is one point), the scenario's runs at each point,
on every core. One record per run goes to DIR/runs.jsonl and DIR/runs.csv
as runs finish (in job order), so an interrupted sweep loses nothing and
--resume continues it; DIR/sweep.json describes the sweep. At the end it
writes DIR/report.md and DIR/report.html (simrun report).

SCENARIO is a scenario file or the name of a built-in one (simrun list).
--shard K/N runs jobs K, K+N, K+2N, ... of the (point, seed) list (K from 0
to N-1, as a Kubernetes Indexed Job numbers its pods), so N machines can
split a sweep; simrun merge joins their directories.

Exit status: 0 when every invariant held, 1 when one was violated (stderr
names the run and the command that replays it), 2 for bad usage or input.
Flags:
`

// sweepOpts are the flags of simrun sweep.
type sweepOpts struct {
	out, shard              string
	runs, workers           int
	seed                    uint64
	resume, noReport, quiet bool
	set                     map[string]bool
	shardK, shardN          int
	interrupt               <-chan struct{}
	progressForce           bool
}

// runSweep is simrun sweep.
func runSweep(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	o := &sweepOpts{}
	fs := newFlagSet("simrun sweep", sweepUsage, stderr, func(w io.Writer) {
		fmt.Fprintf(w, "\nBuilt-in scenarios: %s\nKnob paths for \"set\" and \"sweep\": %s\n", strings.Join(scenarios.Names(), ", "), scenarios.KnobPaths())
	})
	fs.StringVar(&o.out, "out", "", "the output directory (default sweep-NAME)")
	fs.IntVar(&o.runs, "runs", 0, "runs (seeds) per grid point, overriding the scenario's")
	fs.Uint64Var(&o.seed, "seed", 0, "the first seed, overriding the scenario's")
	fs.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "runs in parallel")
	fs.StringVar(&o.shard, "shard", "", "run one deterministic slice K/N of the sweep (K from 0 to N-1)")
	fs.BoolVar(&o.resume, "resume", false, "continue the sweep in --out: skip the runs already recorded")
	fs.BoolVar(&o.noReport, "no-report", false, "do not write the report at the end")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fs.BoolVar(&o.progressForce, "progress", false, "show progress on stderr however few the runs")
	// Flags may follow the scenario name.
	pos, code := parseInterspersed(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "simrun sweep: want one SCENARIO (a file or a built-in name; simrun list)")
		return 2
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.workers < 1 {
		fmt.Fprintln(stderr, "simrun sweep: --workers must be at least 1")
		return 2
	}
	if o.set["runs"] && o.runs < 1 {
		fmt.Fprintln(stderr, "simrun sweep: --runs must be at least 1")
		return 2
	}
	o.shardK, o.shardN = 0, 1
	if o.shard != "" {
		k, n, err := parseShard(o.shard)
		if err != nil {
			fmt.Fprintf(stderr, "simrun sweep: --shard: %v\n", err)
			return 2
		}
		o.shardK, o.shardN = k, n
	}
	sc, err := loadScenario(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	if o.set["runs"] {
		sc.Runs = o.runs
	}
	if o.set["seed"] {
		sc.Seed = o.seed
	}
	if sc.Runs < 1 {
		sc.Runs = 1
	}
	if o.out == "" {
		o.out = "sweep-" + sc.Name
	}
	if os.Getenv("GOGC") == "" {
		// A run allocates about 220 kB and keeps almost none of it: with
		// the default GOGC the collector runs tens of times a second and
		// costs a fifth of the CPU. A larger target halves that and still
		// keeps the heap near 40 MB (the limit is a backstop).
		defer debug.SetGCPercent(debug.SetGCPercent(sweepGCPercent))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(sweepMemoryLimit))
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	o.interrupt = ctx.Done()
	return sweep(o, sc, stdout, stderr)
}

// The collector settings of a sweep (unless GOGC is set).
const (
	sweepGCPercent   = 400
	sweepMemoryLimit = 150 << 20
)

// parseShard reads "K/N".
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("%q is not K/N with 0 <= K < N (shards are numbered from 0)", s)
	}
	return k, n, nil
}

// loadScenario reads a scenario file, or a built-in scenario by name.
func loadScenario(name string) (scenarios.Scenario, error) {
	if b, err := os.ReadFile(name); err == nil {
		return scenarios.Parse(b, name)
	} else if strings.ContainsAny(name, "/.") {
		return scenarios.Scenario{}, fmt.Errorf("scenario file: %v", err)
	}
	return scenarios.Load(name)
}

// manifestFor describes the sweep of sc.
func manifestFor(sc scenarios.Scenario, points int) (*reports.Manifest, error) {
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

// bitset marks done jobs: one bit per run, however large the sweep.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) get(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func inShard(j, k, n int) bool  { return j%n == k }
func shardName(k, n int) string { return fmt.Sprintf("%d/%d", k, n) }
func (o *sweepOpts) shardStr() string {
	if o.shardN == 1 {
		return ""
	}
	return shardName(o.shardK, o.shardN)
}

// sweepJob is one finished run on its way to the writer.
type sweepJob struct {
	seq int // position in this invocation's job order
	rec reports.Record
	err error
}

func sweep(o *sweepOpts, sc scenarios.Scenario, stdout, stderr io.Writer) int {
	pts, err := sc.Points()
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	m, err := manifestFor(sc, len(pts))
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	m.Shard = o.shardStr()
	if m.Jobs() > 1<<40 {
		fmt.Fprintf(stderr, "simrun sweep: %d runs is too many\n", m.Jobs())
		return 2
	}
	cfgs := make([]sim.Config, len(pts))
	axes := make([]map[string]json.RawMessage, len(pts))
	for i, p := range pts {
		if cfgs[i], err = p.Resolve(); err != nil {
			fmt.Fprintf(stderr, "simrun sweep: point %d: %v\n", i, err)
			return 2
		}
		axes[i] = p.Axes(sc.Sweep)
	}
	done, prior, code := openSweepDir(o, m, stderr)
	if code >= 0 {
		return code
	}
	jsonlPath, csvPath := filepath.Join(o.out, "runs.jsonl"), filepath.Join(o.out, "runs.csv")
	jf, err := os.OpenFile(jsonlPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	defer jf.Close()
	cf, err := os.OpenFile(csvPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	defer cf.Close()
	jw, cwb := bufio.NewWriterSize(jf, 1<<16), bufio.NewWriterSize(cf, 1<<16)
	var paths []string
	for _, a := range m.Axes {
		paths = append(paths, a.Path)
	}
	st, err := cf.Stat()
	if err != nil {
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return 2
	}
	cw := reports.NewCSVWriter(cwb, paths, st.Size() == 0)

	// The jobs of this invocation, in order.
	todo := 0
	for j := 0; j < m.Jobs(); j++ {
		if inShard(j, o.shardK, o.shardN) && !done.get(j) {
			todo++
		}
	}
	workers := max(1, min(o.workers, todo))
	window := workers * 64
	slots := make(chan struct{}, window)
	type job struct{ seq, j int }
	jobs := make(chan job)
	results := make(chan sweepJob, window)
	quit := make(chan struct{})
	var stop sync.Once
	halt := func() { stop.Do(func() { close(quit) }) }
	go func() {
		defer close(jobs)
		seq := 0
		for j := 0; j < m.Jobs(); j++ {
			if !inShard(j, o.shardK, o.shardN) || done.get(j) {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			select {
			case jobs <- job{seq, j}:
			case <-quit:
				return
			}
			seq++
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r *sim.Runner
			cur := -1
			for jb := range jobs {
				point, seed := jb.j/m.Runs, m.Seed+uint64(jb.j%m.Runs)
				out := sweepJob{seq: jb.seq}
				if point != cur {
					var err error
					r, err = sim.NewRunner(cfgs[point])
					if err != nil {
						out.err = err
						results <- out
						continue
					}
					cur = point
				}
				res, err := r.Run(seed)
				out.rec = reports.Record{Point: point, Axes: axes[point], Result: res}
				out.err = err
				results <- out
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	prog := newProgress(stderr, todo, o)
	start := time.Now()
	pending := map[int]sweepJob{}
	next, failed, violations, ran := 0, 0, 0, 0
	var firstViolation *reports.Record
	lastFlush := time.Now()
	var werr error
	interrupted := false
	for {
		var sj sweepJob
		var ok bool
		select {
		case sj, ok = <-results:
		case <-o.interrupt:
			if !interrupted {
				interrupted = true
				halt()
			}
			sj, ok = <-results
		}
		if !ok {
			break
		}
		pending[sj.seq] = sj
		for {
			sj, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-slots
			if sj.err != nil {
				fmt.Fprintf(stderr, "simrun sweep: point %d seed %d: %v\n", sj.rec.Point, sj.rec.Seed, sj.err)
				werr = sj.err
				halt()
				continue
			}
			if werr != nil {
				continue
			}
			rec := &sj.rec
			b, err := json.Marshal(rec)
			if err == nil {
				b = append(b, '\n')
				_, err = jw.Write(b)
			}
			if err == nil {
				err = cw.Write(rec)
			}
			if err != nil {
				fmt.Fprintf(stderr, "simrun sweep: writing records: %v\n", err)
				werr = err
				halt()
				continue
			}
			ran++
			if rec.Failed() {
				failed++
			}
			if rec.Violation != nil {
				violations++
				if firstViolation == nil {
					c := *rec
					firstViolation = &c
				}
			}
			if time.Since(lastFlush) > time.Second {
				jw.Flush()
				cw.Flush()
				lastFlush = time.Now()
			}
			prog.update(ran)
		}
	}
	ferr := jw.Flush()
	if err := cw.Flush(); ferr == nil {
		ferr = err
	}
	prog.finish(ran)
	elapsed := time.Since(start)
	if werr != nil || ferr != nil {
		if ferr != nil {
			fmt.Fprintf(stderr, "simrun sweep: %v\n", ferr)
		}
		return 2
	}
	total := prior + ran
	var shardJobs int
	for j := 0; j < m.Jobs(); j++ {
		if inShard(j, o.shardK, o.shardN) {
			shardJobs++
		}
	}
	fmt.Fprintf(stdout, "sweep %s: %d point(s) × %d seed(s) = %d runs", m.Name, m.Points, m.Runs, m.Jobs())
	if m.Shard != "" {
		fmt.Fprintf(stdout, ", shard %s: %d runs", m.Shard, shardJobs)
	}
	fmt.Fprintf(stdout, "\nran %d now (%d recorded before), %d of %d done; failed logins %d of %d; invariant violations %d\n",
		ran, prior, total, shardJobs, failed, ran, violations)
	fmt.Fprintf(stdout, "wall %.1fs (%.0f runs/s on %d workers)\n", elapsed.Seconds(), float64(ran)/max(elapsed.Seconds(), 1e-9), workers)
	fmt.Fprintf(stdout, "records: %s, %s\n", jsonlPath, csvPath)
	if interrupted {
		fmt.Fprintf(stderr, "simrun sweep: interrupted after %d runs; --resume continues: simrun sweep ... --out %s --resume\n", ran, o.out)
		return 2
	}
	if !o.noReport && total > 0 {
		if code := writeReport(o.out, o.out, stdout, stderr); code != 0 {
			return code
		}
	}
	if firstViolation != nil {
		reportViolation(o.out, sc, m, firstViolation, stderr)
		return 1
	}
	return 0
}

// openSweepDir prepares --out: a new sweep writes its manifest; --resume
// checks that the directory holds the same sweep (and shard), reads which
// runs are recorded, cuts a record the last process left half written, and
// rewrites the CSV from the records. code is -1 to go on.
func openSweepDir(o *sweepOpts, m *reports.Manifest, stderr io.Writer) (done bitset, prior int, code int) {
	done = newBitset(m.Jobs())
	mpath := filepath.Join(o.out, "sweep.json")
	jsonlPath := filepath.Join(o.out, "runs.jsonl")
	old, err := reports.ReadManifest(mpath)
	switch {
	case err == nil && !o.resume:
		fmt.Fprintf(stderr, "simrun sweep: %s already holds a sweep (%s); --resume continues it, or choose another --out\n", o.out, old.Name)
		return nil, 0, 2
	case err == nil:
		if old.Fingerprint != m.Fingerprint {
			fmt.Fprintf(stderr, "simrun sweep: %s holds a different sweep (fingerprint %s, this one %s): same scenario, --runs and --seed are needed to resume\n",
				o.out, old.Fingerprint, m.Fingerprint)
			return nil, 0, 2
		}
		if old.Shard != m.Shard {
			fmt.Fprintf(stderr, "simrun sweep: %s holds shard %q, not %q\n", o.out, old.Shard, m.Shard)
			return nil, 0, 2
		}
	case errors.Is(err, os.ErrNotExist):
		if _, serr := os.Stat(jsonlPath); serr == nil {
			fmt.Fprintf(stderr, "simrun sweep: %s has runs.jsonl but no sweep.json; choose another --out\n", o.out)
			return nil, 0, 2
		}
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
			return nil, 0, 2
		}
		if err := reports.WriteManifest(mpath, m); err != nil {
			fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
			return nil, 0, 2
		}
		return done, 0, -1
	default:
		fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
		return nil, 0, 2
	}
	// Resume.
	valid, _, err := reports.ScanFile(jsonlPath, func(r *reports.Record) error {
		j, ok := m.Job(r.Point, r.Seed)
		if !ok {
			return fmt.Errorf("record of point %d seed %d is not part of this sweep", r.Point, r.Seed)
		}
		if !done.get(j) {
			done.set(j)
			prior++
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "simrun sweep: resume: %v\n", err)
		return nil, 0, 2
	}
	if err == nil {
		if st, _ := os.Stat(jsonlPath); st != nil && st.Size() > valid {
			fmt.Fprintf(stderr, "simrun sweep: resume: dropping a half-written record at the end of %s\n", jsonlPath)
			if err := os.Truncate(jsonlPath, valid); err != nil {
				fmt.Fprintf(stderr, "simrun sweep: %v\n", err)
				return nil, 0, 2
			}
		}
	}
	if err := rewriteCSV(o.out, m); err != nil {
		fmt.Fprintf(stderr, "simrun sweep: resume: %v\n", err)
		return nil, 0, 2
	}
	return done, prior, -1
}

// rewriteCSV makes DIR/runs.csv from DIR/runs.jsonl.
func rewriteCSV(dir string, m *reports.Manifest) error {
	f, err := os.Create(filepath.Join(dir, "runs.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	var paths []string
	for _, a := range m.Axes {
		paths = append(paths, a.Path)
	}
	cw := reports.NewCSVWriter(bw, paths, true)
	_, _, err = reports.ScanFile(filepath.Join(dir, "runs.jsonl"), func(r *reports.Record) error { return cw.Write(r) })
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// reportViolation tells where the first violated invariant is and how to
// replay it: the grid point's scenario goes to DIR/points/point-P.json.
func reportViolation(dir string, sc scenarios.Scenario, m *reports.Manifest, r *reports.Record, stderr io.Writer) {
	v := r.Violation
	fmt.Fprintf(stderr, "\nINVARIANT VIOLATED: %s\n  point %d seed %d, variant %s, at %d ms virtual time\n  %s\n", v.Invariant, r.Point, v.Seed, v.Variant, v.At, v.Detail)
	ps, err := sc.At(m.PointValues(r.Point))
	if err != nil {
		return
	}
	ps.Runs, ps.Seed = 1, r.Seed
	b, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return
	}
	pd := filepath.Join(dir, "points")
	path := filepath.Join(pd, fmt.Sprintf("point-%d.json", r.Point))
	if os.MkdirAll(pd, 0o755) == nil && os.WriteFile(path, append(b, '\n'), 0o644) == nil {
		fmt.Fprintf(stderr, "  replay: simrun replay --scenario %s --seed %d\n", path, r.Seed)
	}
}

// progress draws a bar with an ETA on stderr: redrawn in place on a
// terminal, a line every tenth otherwise; only for long sweeps.
type progress struct {
	w         io.Writer
	on, tty   bool
	total     int
	start     time.Time
	last      time.Time
	lastTenth int
}

func newProgress(w io.Writer, total int, o *sweepOpts) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	p.on = !o.quiet && total > 0 && (total >= 2000 || o.progressForce)
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) line(done int) string {
	el := time.Since(p.start)
	rate := float64(done) / max(el.Seconds(), 1e-9)
	eta := "?"
	if done > 0 {
		eta = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	frac := float64(done) / float64(p.total)
	const width = 30
	fill := int(frac * width)
	return fmt.Sprintf("[%s%s] %5.1f%% %d/%d  %.0f runs/s  ETA %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		100*frac, done, p.total, rate, eta)
}

func (p *progress) update(done int) {
	if !p.on {
		return
	}
	if p.tty {
		if time.Since(p.last) >= 200*time.Millisecond {
			p.last = time.Now()
			fmt.Fprintf(p.w, "\r%s ", p.line(done))
		}
		return
	}
	if t := done * 10 / p.total; t > p.lastTenth {
		p.lastTenth = t
		fmt.Fprintln(p.w, "simrun sweep: "+p.line(done))
	}
}

func (p *progress) finish(done int) {
	if p.on && p.tty {
		fmt.Fprintf(p.w, "\r%s\n", p.line(done))
	}
}
