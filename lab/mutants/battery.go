package mutants

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"qrlab/lab"
	"qrlab/model/variant"
	"qrlab/sim"
)

// The simulation battery: what a changed tree (a patch, simrun mutants
// --patches) is judged by when nothing says where its bug is. Every honest
// preset runs under every adversary (and none), both intents, an attentive
// and a blind user, plus two careless users (typos on the last or on any
// digit, denials, cancels) and a user who refuses at any confirm step, on
// a 4G and a lossy network (and the careless user once more over the
// datagram transport, which duplicates requests), round by round:
// every probe runs its seeds of round 1 (one, or carelessSeeds for the
// careless users), then of round 2, and so on, until a run breaks an
// invariant or the budget runs out. Only the simulator's monitors judge: no unit test, no
// in-process property.

// batteryProbes are the battery's probes, in the order a finding is
// reported in (the first probe that breaks on the lowest seed).
func batteryProbes() []batteryJob {
	var jobs []batteryJob
	for _, n := range variant.Names() {
		for _, in := range []string{"login", "reciprocate"} {
			for _, a := range append([]string{""}, sim.AdversaryNames()...) {
				jobs = append(jobs, batteryJob{n, probe{scenario: "default", intent: in, adversary: a}, 1},
					batteryJob{n, probe{scenario: "attack-shoulder-surfer-blind-user", intent: in, adversary: a}, 1})
			}
			jobs = append(jobs, batteryJob{n, probe{scenario: "default", intent: in, network: "lossy-3g"}, 1})
			jobs = append(jobs, batteryJob{n, probe{scenario: carelessDatagram, intent: in}, carelessSeeds})
			for _, net := range []string{"", "lossy-3g"} {
				for _, sc := range []string{"careless-user", carelessAnyDigit, refusingAnyStep} {
					jobs = append(jobs, batteryJob{n, probe{scenario: sc, intent: in, network: net}, carelessSeeds})
				}
			}
		}
	}
	return jobs
}

type batteryJob struct {
	preset string
	p      probe
	// seeds is how many seeds the probe runs per round: a careless
	// user's faults are rare draws, so their probes run more seeds per
	// round than the attentive ones.
	seeds int
}

// carelessAnyDigit is the battery's careless user who mistypes either
// digit (a scenario file, so that a finding replays from the module's
// root).
const carelessAnyDigit = "lab/mutants/testdata/careless-any-digit.json"

// refusingAnyStep is the battery's user who refuses at a confirm step
// drawn per run (user.refuse_at "any").
const refusingAnyStep = "lab/mutants/testdata/refusing-any-step.json"

// carelessDatagram is the careless user on lossy 3G over the datagram
// transport: the only network of the battery that delivers a request twice.
const carelessDatagram = "lab/mutants/testdata/careless-datagram.json"

// carelessSeeds is the seeds per round of the careless users' probes.
const carelessSeeds = 8

func (j batteryJob) label() string { return j.preset + " " + j.p.label() }

// runner builds the job's simulator. A scenario file of the battery is
// named from the module's root (so that its replay line works there) and
// found from there wherever the battery runs.
func (j batteryJob) runner() (*sim.Runner, error) {
	if !strings.HasPrefix(j.p.scenario, "lab/") {
		return j.p.runner(j.preset)
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root, err := ModuleRoot(wd)
	if err != nil {
		return nil, err
	}
	p := j.p
	p.scenario = filepath.Join(root, filepath.FromSlash(j.p.scenario))
	return p.runner(j.preset)
}

// Finding is the first run of the battery that broke an invariant (or
// could not run).
type Finding struct {
	Invariant string `json:"invariant"`
	Preset    string `json:"preset"`
	Probe     string `json:"probe"`
	Detail    string `json:"detail"`
	Seed      uint64 `json:"seed"`
	// SimMillis is the simulated time of the violation in its run.
	SimMillis int64  `json:"sim_ms"`
	Replay    string `json:"replay"`
}

// BatteryResult is what the battery did.
type BatteryResult struct {
	Found *Finding `json:"found,omitempty"`
	// Runs counts the simulated runs, up to and including the round of
	// the finding; Seeds the rounds started; Probes the probes
	// that ran (ConfigErrors could not be built).
	Runs         int      `json:"runs"`
	Seeds        int      `json:"seeds"`
	Probes       int      `json:"probes"`
	ConfigErrors []string `json:"config_errors,omitempty"`
	WallMs       float64  `json:"wall_ms"`
}

// Battery runs the simulation battery for at most budget (a round started
// before the budget ran out finishes; the first always runs) and maxSeeds
// rounds, on workers goroutines.
func Battery(budget time.Duration, maxSeeds, workers int) BatteryResult {
	start := time.Now()
	jobs := batteryProbes()
	var res BatteryResult
	runners := make([]*sim.Runner, len(jobs))
	for i, j := range jobs {
		r, err := j.runner()
		if err != nil {
			res.ConfigErrors = append(res.ConfigErrors, j.label()+": "+err.Error())
			continue
		}
		runners[i] = r
		res.Probes++
	}
	found := make([]*Finding, len(jobs))
	runs := make([]int, len(jobs))
	for round := uint64(0); round < uint64(maxSeeds) && (round == 0 || time.Since(start) < budget); round++ {
		res.Seeds++
		lab.Each(len(jobs), workers, func(i int) {
			found[i], runs[i] = nil, 0
			if runners[i] == nil {
				return
			}
			k := uint64(jobs[i].seeds)
			for s := round*k + 1; s <= round*k+k && found[i] == nil; s++ {
				found[i] = runOne(runners[i], jobs[i], s)
				runs[i]++
			}
		})
		for i, f := range found {
			res.Runs += runs[i]
			if f != nil && res.Found == nil {
				res.Found = f
			}
		}
		if res.Found != nil {
			break
		}
	}
	res.WallMs = float64(time.Since(start).Microseconds()) / 1000
	return res
}

// runOne runs one seed of one probe; a violation, an error or a panic
// (the changed code crashed the run) is a finding.
func runOne(r *sim.Runner, j batteryJob, seed uint64) (f *Finding) {
	mk := func(inv, detail string, at int64) *Finding {
		return &Finding{Invariant: inv, Preset: j.preset, Probe: j.p.label(), Detail: detail, Seed: seed, SimMillis: at,
			Replay: j.p.replay(j.preset, seed)}
	}
	defer func() {
		if p := recover(); p != nil {
			f = mk("run-panicked", fmt.Sprint(p), -1)
		}
	}()
	res, err := r.Run(seed)
	switch {
	case err != nil:
		return mk("run-error", err.Error(), -1)
	case res.Violation != nil:
		return mk(res.Violation.Invariant, res.Violation.Detail, int64(res.Violation.At))
	}
	return nil
}
