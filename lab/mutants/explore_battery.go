package mutants

import (
	"fmt"
	"strings"
	"time"

	"qrlab/lab/explore"
	"qrlab/model/variant"
)

// The explorer battery: what a changed tree is judged by with the
// explorer instead of seeded simulation (simrun mutants --patches DIR
// --explore). A few explorations, each depth first with an equal share of
// the budget, until one finds a violation: the default design and the
// 2024 one (the other channel construction and ETag API), both intents,
// the attentive and the careless user, one lost and one duplicated
// message, the attackers a changed device check or check code would let
// through, and every case of the camera and of the malicious homeserver.
// Only the simulator's monitors judge.

// exploreJob is one exploration of the battery.
type exploreJob struct {
	preset string
	plan   plan
	dup    int
}

func (j exploreJob) flags() string {
	f := j.plan.flags(j.preset)
	if !strings.Contains(f, "--mode") {
		f += " --mode dfs"
	}
	if j.dup > 0 {
		f += fmt.Sprintf(" --dup %d", j.dup)
	}
	return f
}

// exploreJobs are the battery's explorations, in the order a finding is
// reported in.
func exploreJobs() []exploreJob {
	var jobs []exploreJob
	for _, preset := range []string{"msc4388-726e115", "msc4108-2024"} {
		for _, in := range []string{"login", "reciprocate"} {
			jobs = append(jobs, exploreJob{preset: preset, plan: plan{intent: in}},
				exploreJob{preset: preset, plan: plan{intent: in, careless: true}})
		}
	}
	for _, in := range []string{"login", "reciprocate"} {
		jobs = append(jobs, exploreJob{preset: "msc4388-726e115", plan: plan{intent: in}, dup: 1},
			exploreJob{preset: "msc4388-726e115", plan: plan{intent: in, loss: 1}})
	}
	for _, a := range []string{"device-id-confusion", "shoulder-surfer"} {
		jobs = append(jobs, exploreJob{preset: "msc4388-726e115", plan: plan{adversary: a, careless: true}})
	}
	// These two attackers do one thing per seed (seed mod 5: a misread or
	// corrupted scan; a lie of the homeserver): every seed of the cycle.
	for _, a := range []string{"camera", "malicious-homeserver"} {
		for seed := uint64(1); seed <= 5; seed++ {
			jobs = append(jobs, exploreJob{preset: "msc4388-726e115", plan: plan{adversary: a, seed: seed}})
		}
	}
	jobs = append(jobs, exploreJob{preset: "msc4388-726e115",
		plan: plan{adversary: "account-confusion", careless: true, pace: "attack-account-confusion-blind-user"}})
	return jobs
}

// ExploreBattery runs the explorer battery for about budget (each
// exploration gets an equal share) and reports the first violation as a
// Finding; Runs counts the explorations, Seeds the states explored.
func ExploreBattery(budget time.Duration) BatteryResult {
	start := time.Now()
	jobs := exploreJobs()
	var res BatteryResult
	for i, j := range jobs {
		// An equal share of what is left: a search that completes early
		// gives its time to the next ones.
		share := max((budget-time.Since(start))/time.Duration(len(jobs)-i), time.Second)
		f, states, err := exploreOne(j, share)
		res.Runs++
		res.Seeds += states
		if err != nil {
			res.ConfigErrors = append(res.ConfigErrors, j.flags()+": "+err.Error())
			continue
		}
		res.Probes++
		if f != nil {
			res.Found = f
			break
		}
	}
	res.WallMs = float64(time.Since(start).Microseconds()) / 1000
	return res
}

// exploreOne runs one exploration of the battery; a violation or a panic
// (the changed code crashed a step) is a finding.
func exploreOne(j exploreJob, budget time.Duration) (f *Finding, states int, err error) {
	mk := func(inv, detail string, at int64, path string) *Finding {
		replay := "simrun explore " + j.flags()
		if path != "" {
			replay += " --path " + path
		}
		return &Finding{Invariant: inv, Preset: j.preset, Probe: "explore " + strings.TrimPrefix(j.flags(), "--variant "+j.preset+" "),
			Detail: detail, SimMillis: at, Replay: replay}
	}
	defer func() {
		if p := recover(); p != nil {
			f, err = mk("explore-panicked", fmt.Sprint(p), -1, ""), nil
		}
	}()
	v, err := variant.Load(j.preset)
	if err != nil {
		return nil, 0, err
	}
	o, err := j.plan.options(v, j.preset)
	if err != nil {
		return nil, 0, err
	}
	if o.Mode == "" {
		o.Mode = "dfs"
	}
	o.Dup, o.Budget, o.Workers = j.dup, budget, 1
	r, err := explore.Explore(o)
	if err != nil {
		return nil, 0, err
	}
	if v := r.Violation; v != nil {
		return mk(v.Invariant, v.Detail, int64(v.At), explore.FormatPath(r.Path)), r.States, nil
	}
	return nil, r.States, nil
}
