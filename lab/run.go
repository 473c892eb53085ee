package lab

import (
	"errors"
	"fmt"
	"strings"

	"qrlab/scenarios"
	"qrlab/sim"
)

// LoadScenario reads a scenario file, or a built-in scenario by name: a
// name with a slash or a dot that is no readable file is an error.
func LoadScenario(ref string) (scenarios.Scenario, error) {
	if b, err := ReadFile(ref, MaxSpecBytes, "scenario file"); err == nil {
		return scenarios.Parse(b, ref)
	} else if errors.Is(err, ErrTooLarge) || strings.ContainsAny(ref, "/.") {
		return scenarios.Scenario{}, fmt.Errorf("scenario file: %v", err)
	}
	return scenarios.Load(ref)
}

// Config loads the scenario ref, puts ov over it and resolves it into a
// simulator config; a scenario that names no run count runs once.
func Config(ref string, ov scenarios.Overrides) (sim.Config, scenarios.Scenario, error) {
	if err := ov.Check(); err != nil {
		return sim.Config{}, scenarios.Scenario{}, err
	}
	sc, err := LoadScenario(ref)
	if err != nil {
		return sim.Config{}, sc, err
	}
	ov.Apply(&sc)
	if sc.Runs == 0 {
		sc.Runs = 1
	}
	if err := CheckSeeds(sc.Seed, sc.Runs); err != nil {
		return sim.Config{}, sc, err
	}
	cfg, err := sc.Config()
	return cfg, sc, err
}

// Outcome is one finished run of Simulate.
type Outcome struct {
	// Index is the run's place: its seed is the first seed plus Index.
	Index  int
	Result sim.Result
	// Events is the run's trace when the config keeps it.
	Events []sim.Event
	Err    error
}

// Simulate runs seeds first, first+1, ... (runs of them) of cfg on workers
// goroutines, each with its own simulator, and hands every outcome to
// deliver in seed order. deliver returns false to start no further run;
// the runs already started are still delivered.
// Seeds that would wrap past the largest are refused before any run.
func Simulate(cfg sim.Config, first uint64, runs, workers int, deliver func(Outcome) bool) error {
	if err := CheckSeeds(first, runs); err != nil {
		return err
	}
	seeds := func(yield func(int) bool) {
		for i := 0; i < runs; i++ {
			if !yield(i) {
				return
			}
		}
	}
	worker := func() (func(int) Outcome, error) {
		r, err := sim.NewRunner(cfg)
		if err != nil {
			return nil, err
		}
		return func(i int) Outcome {
			res, err := r.Run(first + uint64(i))
			oc := Outcome{Index: i, Result: res, Err: err}
			if cfg.KeepTrace {
				oc.Events = append([]sim.Event(nil), r.Trace().Events...)
			}
			return oc
		}, nil
	}
	_, err := Ordered(Pool{Workers: workers, Window: workers * 4}, seeds, worker, deliver)
	return err
}

// Trace re-runs one seed of cfg and returns its events (up to the error,
// if the run failed).
func Trace(cfg sim.Config, seed uint64) ([]sim.Event, error) {
	cfg.KeepTrace = true
	r, err := sim.NewRunner(cfg)
	if err != nil {
		return nil, err
	}
	_, err = r.Run(seed)
	return r.Trace().Events, err
}

// ReplayArgs is the simrun replay command line (without the command) that
// reproduces one seed of scenario ref under ov.
func ReplayArgs(ref string, ov scenarios.Overrides, seed uint64) string {
	args := []string{"--scenario", ref}
	for _, f := range []struct {
		name string
		val  *string
	}{{"variant", ov.Variant}, {"new-variant", ov.NewVariant}, {"network", ov.Network}, {"intent", ov.Intent}, {"adversary", ov.Adversary}} {
		if f.val != nil {
			args = append(args, "--"+f.name, *f.val)
		}
	}
	if ov.Swarm != nil {
		args = append(args, fmt.Sprintf("--swarm=%v", *ov.Swarm))
	}
	if ov.Backup != nil {
		args = append(args, fmt.Sprintf("--backup=%v", *ov.Backup))
	}
	args = append(args, "--seed", fmt.Sprint(seed))
	return strings.Join(args, " ")
}

// RunLine is one run's summary in a line: the i-th run r.
func RunLine(i int, r *sim.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %d seed %d: ", i, r.Seed)
	if r.Success() {
		b.WriteString("signed in")
	} else {
		fmt.Fprintf(&b, "FAILED  N %s / E %s", r.New.Outcome, r.Existing.Outcome)
		if r.New.Outcome == "" {
			fmt.Fprintf(&b, " (N in %s)", r.NewState)
		}
	}
	fmt.Fprintf(&b, "  [%s]", r.Agreement)
	if r.SignedInMillis >= 0 {
		fmt.Fprintf(&b, "  token %.1fs", float64(r.SignedInMillis)/1000)
	}
	if r.SecretsMillis >= 0 {
		fmt.Fprintf(&b, "  secrets %.1fs", float64(r.SecretsMillis)/1000)
	}
	fmt.Fprintf(&b, "  end %.1fs  msgs %d  reqs %d  lost %d", float64(r.EndMillis)/1000, r.Messages, r.Requests, r.Lost)
	if r.Faults != "" {
		fmt.Fprintf(&b, "  faults {%s}", r.Faults)
	}
	if r.Violation != nil {
		fmt.Fprintf(&b, "  VIOLATION %s", r.Violation.Invariant)
	}
	return b.String()
}
