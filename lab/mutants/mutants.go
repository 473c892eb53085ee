// Package mutants runs the known-bad designs (model/variant/mutants: an
// honest preset plus one mutation) against the battery that should catch
// each, and the honest presets against every adversary: the simrun mutants
// command as a library.
package mutants

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"qrlab/lab"
	"qrlab/model/variant"
	"qrlab/scenarios"
	"qrlab/sim"
)

// probe is one scenario of a mutant's battery: what simrun run would be
// given on a built-in scenario, so that a finding replays exactly.
type probe struct {
	scenario, intent, network, adversary string
	swarm                                bool
	// differential: an attacker's win (even one the run explains by an
	// exposure) counts when the honest base preset, same scenario and
	// seed, holds.
	differential bool
}

func (p probe) label() string {
	s := p.scenario + " " + p.intent
	if p.adversary != "" {
		s += " +" + p.adversary
	}
	if p.swarm {
		s += " swarm"
	}
	return s
}

// overrides are the simrun run flags of the probe for one seed of
// variantName.
func (p probe) overrides(variantName string, seed uint64) scenarios.Overrides {
	runs := 1
	adversary := p.adversary
	if adversary == "" {
		adversary = "none" // the same as "", and printable in a replay line
	}
	ov := scenarios.Overrides{Variant: &variantName, Seed: &seed, Runs: &runs, Adversary: &adversary}
	if p.intent != "" {
		ov.Intent = &p.intent
	}
	if p.network != "" {
		ov.Network = &p.network
	}
	if p.swarm {
		ov.Swarm = &p.swarm
	}
	return ov
}

// runner is a simulator of the probe's scenario under variantName.
func (p probe) runner(variantName string) (*sim.Runner, error) {
	cfg, _, err := lab.Config(p.scenario, p.overrides(variantName, 1))
	if err != nil {
		return nil, err
	}
	return sim.NewRunner(cfg)
}

// replay is the simrun replay command of one seed of the probe, in the
// form every simrun command prints (lab.ReplayArgs).
func (p probe) replay(variantName string, seed uint64) string {
	return "simrun replay " + lab.ReplayArgs(p.scenario, p.overrides(variantName, seed), seed)
}

// battery is what each mutant is run against: properties first, then the
// probes seed by seed. The plain runs come first where the mutation breaks
// a rule every login checks.
func battery(name string) ([]string, []probe) {
	plain := []probe{{scenario: "default", intent: "login"}, {scenario: "default", intent: "reciprocate"}}
	surfer := []probe{{scenario: "attack-shoulder-surfer", intent: "reciprocate", adversary: "shoulder-surfer"},
		{scenario: "attack-shoulder-surfer", intent: "login", adversary: "shoulder-surfer"}}
	mal := []probe{{scenario: "default", intent: "login", adversary: "malicious-rendezvous"},
		{scenario: "default", intent: "reciprocate", adversary: "malicious-rendezvous"}}
	switch name {
	case variant.MutNoCheckCode:
		return nil, append(surfer, plain...)
	case variant.MutSecretsBeforeDeviceCheck:
		return nil, append(plain, probe{scenario: "default", intent: "login", adversary: "device-id-confusion"})
	case variant.MutSecretsBeforeSuccess:
		return nil, plain
	case variant.MutStaticNonce:
		return []string{"channel-nonce-unique", "channel-replay-rejected"}, append(mal, probe{scenario: "default", intent: "login", adversary: "replayer"})
	case variant.MutSharedDirectionKey:
		return []string{"channel-reflection-rejected", "channel-nonce-unique"}, mal
	case variant.MutAcceptUnexpectedMessages:
		return []string{"login-unexpected-message-ends"}, append(append(mal, plain...),
			probe{scenario: "default", intent: "login", adversary: "rogue-peer"}, probe{scenario: "default", intent: "reciprocate", adversary: "rogue-peer"})
	case variant.MutIgnoreETag, variant.MutIgnoreSequenceToken:
		return nil, append(append(append([]probe{}, surfer...), plain...),
			probe{scenario: "default", intent: "login", network: "lossy-3g"}, probe{scenario: "default", intent: "reciprocate", network: "lossy-3g"})
	case variant.MutNoExpiry:
		return nil, []probe{{scenario: "default", intent: "login", swarm: true}, {scenario: "default", intent: "reciprocate", swarm: true},
			{scenario: "default", intent: "login", adversary: "deleter"}}
	case variant.MutReuseEphemeralKey:
		return []string{"ephemeral-keys-fresh"}, []probe{{scenario: "default", intent: "login", adversary: "replayer"},
			{scenario: "default", intent: "reciprocate", adversary: "replayer"}}
	case variant.MutNoAADBinding:
		return []string{"login-splice-rejected"}, append(mal, probe{scenario: "default", intent: "login", adversary: "replayer"},
			probe{scenario: "default", intent: "login", adversary: "splicer"}, probe{scenario: "default", intent: "reciprocate", adversary: "splicer"})
	case variant.MutNoWhoamiCheck:
		return nil, []probe{{scenario: "attack-account-confusion-blind-user", intent: "login", adversary: "account-confusion"},
			{scenario: "attack-account-confusion-blind-user", intent: "login", adversary: "account-confusion", differential: true}}
	}
	return nil, plain
}

// Row is one line of the table.
type Row struct {
	Mutant    string   `json:"mutant"`
	Base      string   `json:"base"`
	Caught    bool     `json:"caught"`
	By        string   `json:"by,omitempty"`       // the invariant or property
	How       string   `json:"how,omitempty"`      // the probe or "property"
	Detail    string   `json:"detail,omitempty"`   // the violation's detail
	Seed      uint64   `json:"seed,omitempty"`     // the seed of the detecting run
	Runs      int      `json:"runs"`               // simulated runs until detection (or in all)
	WallMs    float64  `json:"wall_ms"`            // wall time until detection (or in all)
	Replay    string   `json:"replay,omitempty"`   // the command that reproduces it
	Errors    []string `json:"errors,omitempty"`   // probes that could not run
	Survivors []string `json:"survived,omitempty"` // what was tried when it survived
	// Sim is the first simulated run that caught it (when a property
	// caught it first, the probes still run, to show whether the
	// adversaries alone expose it).
	Sim *SimCatch `json:"sim,omitempty"`
}

// SimCatch is a simulated run that caught a mutant.
type SimCatch struct {
	Invariant string  `json:"invariant"`
	Probe     string  `json:"probe"`
	Detail    string  `json:"detail"`
	Seed      uint64  `json:"seed"`
	Runs      int     `json:"runs"`
	WallMs    float64 `json:"wall_ms"`
	Replay    string  `json:"replay"`
}

// HonestRow is a violation by an honest preset.
type HonestRow struct {
	Preset, Probe, Invariant, Detail, Replay string
	Seed                                     uint64
}

// HuntAll hunts each named mutant with an equal share of budget, as many
// at once as there are cores, and returns their rows in the names' order.
func HuntAll(names []string, budget time.Duration, maxSeeds int) []Row {
	share := budget / time.Duration(len(names))
	rows := make([]Row, len(names))
	lab.Each(len(names), lab.DefaultWorkers(), func(i int) { rows[i] = Hunt(names[i], share, maxSeeds) })
	return rows
}

// Hunt runs one mutant's battery until the first detection or the budget.
func Hunt(name string, budget time.Duration, maxSeeds int) Row {
	start := time.Now()
	row := Row{Mutant: name}
	v, err := variant.LoadMutant(name)
	if err != nil {
		row.Errors = append(row.Errors, err.Error())
		return row
	}
	row.Base = variant.MutantBase(v)
	props, probes := battery(v.Mutations.List()[0])
	done := func() Row {
		if !row.Caught {
			row.WallMs = float64(time.Since(start).Microseconds()) / 1000
		}
		return row
	}
	for _, pn := range props {
		p := propertyByName(pn)
		broken, ok, err := p.check(v)
		switch {
		case err != nil:
			row.Errors = append(row.Errors, "property "+pn+": "+err.Error())
		case !ok:
		case broken != "" && !row.Caught:
			row.Caught, row.By, row.How, row.Detail = true, "property "+pn, "in-process", broken
			row.Replay = "simrun mutants --honest-seeds 0 --mutant " + name
			row.WallMs = float64(time.Since(start).Microseconds()) / 1000
		}
		row.Survivors = append(row.Survivors, "property "+pn)
	}
	propCaught := row.Caught
	runners := make([]*sim.Runner, len(probes))
	bases := make([]*sim.Runner, len(probes))
	for i, p := range probes {
		var err error
		runners[i], err = p.runner(v.Name)
		if err == nil && p.differential {
			bases[i], err = p.runner(row.Base)
		}
		if err != nil {
			row.Errors = append(row.Errors, p.label()+": "+err.Error())
			runners[i] = nil
			continue
		}
		row.Survivors = append(row.Survivors, p.label())
	}
	for seed := uint64(1); seed <= uint64(maxSeeds) && time.Since(start) < budget; seed++ {
		for i, p := range probes {
			if runners[i] == nil {
				continue
			}
			res, err := runners[i].Run(seed)
			row.Runs++
			if err != nil {
				row.Errors = append(row.Errors, fmt.Sprintf("%s seed %d: %v", p.label(), seed, err))
				runners[i] = nil
				continue
			}
			var c *SimCatch
			if res.Violation != nil {
				c = &SimCatch{Invariant: res.Violation.Invariant, Detail: res.Violation.Detail}
			} else if p.differential && res.AttackerWon != "" {
				b, err := bases[i].Run(seed)
				row.Runs++
				if err == nil && b.AttackerWon == "" && b.Violation == nil {
					c = &SimCatch{Invariant: "attacker-won-where-base-holds",
						Detail: fmt.Sprintf("attacker won %q (exposure %q); %s, same scenario and seed, holds", res.AttackerWon, res.Exposure, row.Base)}
				}
			}
			if c != nil {
				c.Probe, c.Seed, c.Runs, c.Replay = p.label(), seed, row.Runs, p.replay(v.Name, seed)
				c.WallMs = float64(time.Since(start).Microseconds()) / 1000
				row.Sim = c
				if !propCaught {
					row.Caught, row.By, row.How, row.Detail, row.Seed, row.Replay = true, c.Invariant, c.Probe, c.Detail, seed, c.Replay
					row.WallMs = c.WallMs
				}
				return row
			}
		}
	}
	return done()
}

// Honest runs every honest preset under every adversary (and none), both
// intents, an attentive and a blind user, seeds 1..seeds each, and returns
// the violations (the first per probe) and the number of runs.
func Honest(seeds int) ([]HonestRow, int) {
	type job struct {
		preset string
		p      probe
	}
	var jobs []job
	for _, n := range variant.Names() {
		for _, a := range append([]string{""}, sim.AdversaryNames()...) {
			for _, in := range []string{"login", "reciprocate"} {
				jobs = append(jobs, job{n, probe{scenario: "default", intent: in, adversary: a}})
				jobs = append(jobs, job{n, probe{scenario: "attack-shoulder-surfer-blind-user", intent: in, adversary: a}})
			}
		}
	}
	out := make([][]HonestRow, len(jobs))
	runs := make([]int, len(jobs))
	lab.Each(len(jobs), lab.DefaultWorkers(), func(i int) {
		j := jobs[i]
		r, err := j.p.runner(j.preset)
		if err != nil {
			out[i] = append(out[i], HonestRow{Preset: j.preset, Probe: j.p.label(), Invariant: "config", Detail: err.Error()})
			return
		}
		for s := uint64(1); s <= uint64(seeds); s++ {
			res, err := r.Run(s)
			runs[i]++
			if err != nil {
				out[i] = append(out[i], HonestRow{Preset: j.preset, Probe: j.p.label(), Invariant: "error", Detail: err.Error(), Seed: s})
				return
			}
			if v := res.Violation; v != nil {
				out[i] = append(out[i], HonestRow{Preset: j.preset, Probe: j.p.label(), Invariant: v.Invariant, Detail: v.Detail,
					Seed: s, Replay: j.p.replay(j.preset, s)})
				return // the first per probe is enough
			}
		}
	})
	var all []HonestRow
	total := 0
	for i := range jobs {
		all = append(all, out[i]...)
		total += runs[i]
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Preset < all[b].Preset })
	return all, total
}

// WriteTable prints the rows as a table, then any probe that could not run.
func WriteTable(w io.Writer, rows []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MUTANT\tBASE\tCAUGHT\tBY\tFIRST DETECTION\tSEED\tSIMULATED ADVERSARIES ALONE\tREPLAY")
	for _, r := range rows {
		caught, seed, replay := "no (survived)", "-", "-"
		if r.Caught {
			caught = "yes"
			if r.Seed != 0 {
				seed = fmt.Sprint(r.Seed)
			}
			if r.Replay != "" {
				replay = r.Replay
			}
		}
		by := r.By
		if r.How != "" {
			by += " (" + r.How + ")"
		}
		if !r.Caught {
			by = "tried: " + strings.Join(r.Survivors, "; ")
		}
		simCol := fmt.Sprintf("not caught in %d runs", r.Runs)
		if r.Sim != nil {
			simCol = fmt.Sprintf("%s (%s, seed %d, run %d)", r.Sim.Invariant, r.Sim.Probe, r.Sim.Seed, r.Sim.Runs)
		}
		runs := r.Runs
		if r.How == "in-process" {
			runs = 0
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f ms, %d runs\t%s\t%s\t%s\n", r.Mutant, r.Base, caught, by, r.WallMs, runs, seed, simCol, replay)
	}
	tw.Flush()
	for _, r := range rows {
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %s: error: %s\n", r.Mutant, e)
		}
	}
}
