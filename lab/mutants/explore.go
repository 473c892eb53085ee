package mutants

import (
	"fmt"
	"io"
	"time"

	"qrlab/lab"
	"qrlab/lab/explore"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/scenarios"
)

// plan is how the explorer looks for one mutant: the simrun explore flags
// that find it.
type plan struct {
	intent, adversary, mode string
	loss                    int
	seed                    uint64
	careless                bool
	// pace names the built-in scenario whose user's times the search uses
	// ("" the default user's).
	pace string
}

// plans are the explorer's settings per mutation. Breadth first gives the
// shortest counterexample in explorer steps; depth first is used where
// the breadth-first frontier is too wide to reach the violation's depth in
// time (a violation judged only when a device ends, or a device that never
// gives up).
var plans = map[string]plan{
	variant.MutSharedDirectionKey:       {},
	variant.MutStaticNonce:              {},
	variant.MutSecretsBeforeSuccess:     {},
	variant.MutNoCheckCode:              {},
	variant.MutSecretsBeforeDeviceCheck: {},
	variant.MutIgnoreETag:               {intent: "reciprocate", adversary: "shoulder-surfer"},
	variant.MutIgnoreSequenceToken:      {intent: "reciprocate", adversary: "shoulder-surfer"},
	variant.MutNoAADBinding:             {adversary: "splicer"},
	variant.MutReuseEphemeralKey:        {intent: "reciprocate", adversary: "replayer", seed: 3},
	variant.MutAcceptUnexpectedMessages: {adversary: "rogue-peer", mode: "dfs"},
	variant.MutNoExpiry:                 {mode: "dfs", loss: 1},
	variant.MutNoWhoamiCheck:            {adversary: "account-confusion", careless: true, pace: "attack-account-confusion-blind-user"},
}

// flags are the plan's simrun explore flags for mutant name: the variant,
// then each setting the plan names.
func (p plan) flags(name string) string {
	o, _ := p.settings(name) // an intent that does not parse shows as such; options reports it
	return o.Flags([]string{"variant", "intent", "adversary", "mode", "loss", "seed", "user", "pace"}, func(f string, isDefault bool) bool {
		switch f {
		case "variant":
			return true
		case "intent":
			return p.intent != "" // named, login too
		case "seed":
			return p.seed > 0 // named, 1 too
		}
		return !isDefault
	})
}

// settings are the plan's explorer options for mutant name, without the
// variant and the pace's user (options adds them).
func (p plan) settings(name string) (explore.Options, error) {
	o := explore.Options{VariantName: name, Intent: qr.Login, Mode: p.mode, Loss: p.loss, Seed: max(p.seed, 1), PaceName: p.pace}
	if p.intent != "" {
		in, err := qr.ParseIntent(p.intent)
		o.Intent = in
		if err != nil {
			return o, err
		}
	}
	if p.adversary != "" {
		o.Adversaries = []string{p.adversary}
	}
	if p.careless {
		o.User = explore.UserCareless
	}
	if p.mode == "dfs" {
		// One worker: several share a depth-first search in an order the
		// scheduler decides, so the first violation met, its path and the
		// states counted on the way would differ from run to run.
		o.Workers = 1
	}
	return o, nil
}

// options are the plan's exploration of mutant v.
func (p plan) options(v variant.Variant, name string) (explore.Options, error) {
	o, err := p.settings(name)
	if err != nil {
		return o, err
	}
	o.Variant = v
	if p.pace != "" {
		cfg, _, err := lab.Config(p.pace, scenarios.Overrides{})
		if err != nil {
			return o, err
		}
		o.Pace = &cfg.User
	}
	return o, nil
}

// planFor loads catalogue mutant name and its exploration plan.
func planFor(name string) (variant.Variant, plan, error) {
	v, err := variant.LoadMutant(name)
	if err != nil {
		return v, plan{}, err
	}
	mut := v.Mutations.List()[0]
	p, ok := plans[mut]
	if !ok {
		return v, p, fmt.Errorf("no exploration plan for mutation %s", mut)
	}
	return v, p, nil
}

// ExploreRow is one catalogue mutant looked for by the explorer, beside
// the simulation's first detection of it.
type ExploreRow struct {
	Mutant string `json:"mutant"`
	// Flags are the simrun explore flags used.
	Flags     string  `json:"flags"`
	Found     bool    `json:"found"`
	Cut       string  `json:"cut,omitempty"`
	Invariant string  `json:"invariant,omitempty"`
	Events    int     `json:"events"`    // the counterexample's length in events
	Decisions int     `json:"decisions"` // of which the user's decisions
	States    int     `json:"states"`
	Seconds   float64 `json:"seconds"`
	// Path is the counterexample's --path value.
	Path string `json:"path,omitempty"`
	// The simulation's first detection: its probe and seed (simrun
	// mutants), what it caught, and how many events that run had taken
	// at its violation.
	SimProbe     string `json:"sim_probe,omitempty"`
	SimSeed      uint64 `json:"sim_seed,omitempty"`
	SimInvariant string `json:"sim_invariant,omitempty"`
	SimEvents    int    `json:"sim_events,omitempty"`
	// NoLonger: the explorer's counterexample has at most SimEvents
	// events.
	NoLonger bool     `json:"no_longer"`
	Errors   []string `json:"errors,omitempty"`
}

// ExploreMutant looks for mutant name with the explorer (its plan, within
// budget and maxStates; 0: no bound) and measures the simulation's first
// detection of it (simBudget for the hunt).
func ExploreMutant(name string, budget time.Duration, maxStates int, simBudget time.Duration) ExploreRow {
	row := ExploreRow{Mutant: name}
	v, p, err := planFor(name)
	if err != nil {
		row.Errors = append(row.Errors, err.Error())
		return row
	}
	mut := v.Mutations.List()[0]
	row.Flags = p.flags(name)
	o, err := p.options(v, name)
	if err != nil {
		row.Errors = append(row.Errors, err.Error())
		return row
	}
	o.Budget, o.MaxStates = budget, maxStates
	res, err := explore.Explore(o)
	if err != nil {
		row.Errors = append(row.Errors, err.Error())
		return row
	}
	row.States, row.Seconds, row.Cut = res.States, res.Elapsed.Seconds(), res.Cut
	if res.Violation != nil {
		row.Found, row.Invariant = true, res.Violation.Invariant
		row.Events, row.Decisions, row.Path = len(res.Path), explore.Decisions(res.Path), explore.FormatPath(res.Path)
	}
	hunt := Hunt(name, simBudget, 5000)
	if hunt.Sim == nil {
		row.Errors = append(row.Errors, "the simulation did not catch it")
		return row
	}
	row.SimProbe, row.SimSeed, row.SimInvariant = hunt.Sim.Probe, hunt.Sim.Seed, hunt.Sim.Invariant
	n, err := simEvents(mut, v.Name, hunt.Sim.Probe, hunt.Sim.Seed)
	if err != nil {
		row.Errors = append(row.Errors, err.Error())
		return row
	}
	row.SimEvents = n
	row.NoLonger = row.Found && row.Events <= n
	return row
}

// simEvents replays the simulation's detecting run (probe label, seed) of
// mutation mut and returns the events it took up to its end (a run stops
// at its first violation).
func simEvents(mut, variantName, label string, seed uint64) (int, error) {
	_, probes := battery(mut)
	for _, p := range probes {
		if p.label() != label {
			continue
		}
		r, err := p.runner(variantName)
		if err != nil {
			return 0, err
		}
		res, err := r.Run(seed)
		if err != nil {
			return 0, err
		}
		return res.Steps, nil
	}
	return 0, fmt.Errorf("no probe %q in the battery of %s", label, mut)
}

// WriteExploreTable writes the rows as a Markdown table.
func WriteExploreTable(w io.Writer, rows []ExploreRow) {
	fmt.Fprintln(w, "| mutant | simrun explore flags | found | events (user decisions) | states | s | simulation's first detection | its events | no longer |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		found := "no"
		if r.Found {
			found = r.Invariant
		} else if r.Cut != "" {
			found = "no (cut by " + r.Cut + ")"
		}
		simCol := "-"
		if r.SimProbe != "" {
			simCol = fmt.Sprintf("%s (%s, seed %d)", r.SimInvariant, r.SimProbe, r.SimSeed)
		}
		noLonger := "no"
		if r.NoLonger {
			noLonger = "yes"
		}
		fmt.Fprintf(w, "| %s | `%s` | %s | %d (%d) | %d | %.1f | %s | %d | %s |\n", r.Mutant, r.Flags, found, r.Events, r.Decisions,
			r.States, r.Seconds, simCol, r.SimEvents, noLonger)
	}
	for _, r := range rows {
		for _, e := range r.Errors {
			fmt.Fprintf(w, "\n%s: error: %s\n", r.Mutant, e)
		}
	}
}
