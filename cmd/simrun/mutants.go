package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"qrlab/lab/mutants"
	"qrlab/model/variant"
	"qrlab/sim"
)

const mutantsUsage = `usage: simrun mutants [--budget D] [--mutant NAME] [--json] [--honest-seeds N]

Runs every known-bad design (model/variant/mutants: an honest preset plus
one mutation) against its battery: in-process properties of the channel and
the login machines, then simulated logins under the adversaries that should
expose it, seed by seed, until the first violation or until the mutant's
share of the budget runs out. Prints a table: mutant, caught, by which
invariant or property, time to first detection (wall and runs), seed and
the simrun replay command. Then runs every honest preset under every
adversary (both intents, an attentive and a blind user) and reports any
violation; an attacker's win that the run names an exposure for
(human-factor, physical-access, not-prevented, unverifiable-consent) is not
one.
Exit status: 0 when every mutant was caught and no honest preset broke an
invariant, 1 otherwise, 2 for bad usage.
Flags:
`

// runMutants is simrun mutants.
func runMutants(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun mutants", mutantsUsage, stderr, func(w io.Writer) {
		fmt.Fprintf(w, "\nMutants: %s\n", strings.Join(variant.MutantNames(), ", "))
	})
	budget := fs.Duration("budget", 60*time.Second, "wall-time budget for the mutants, shared equally among them")
	only := fs.String("mutant", "", "run only this mutant (a name from model/variant/mutants)")
	asJSON := fs.Bool("json", false, "print one JSON record per mutant and per honest violation, and a totals record")
	honestSeeds := intFlagOf(fs, "honest-seeds", 10, 0, 1<<20, "seeds per honest preset, adversary, intent and user (0: skip the honest presets)")
	maxSeeds := intFlagOf(fs, "max-seeds", 5000, 1, 1<<30, "at most this many seeds per mutant probe")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if code := checkFlags(fs, stderr, flagCheck{*budget > 0, "budget", "must be positive (like 60s)"}); code >= 0 {
		return code
	}
	names := variant.MutantNames()
	if *only != "" {
		if _, err := variant.LoadMutant(*only); err != nil {
			fmt.Fprintf(stderr, "simrun mutants: --mutant: %v\n", err)
			return 2
		}
		names = []string{*only}
	}
	rows := mutants.HuntAll(names, *budget, *maxSeeds)
	var honest []mutants.HonestRow
	var honestRuns int
	if *honestSeeds > 0 {
		honest, honestRuns = mutants.Honest(*honestSeeds)
	}
	survived := 0
	for _, r := range rows {
		if !r.Caught {
			survived++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			enc.Encode(map[string]any{"record": "mutant", "mutant": r})
		}
		for _, h := range honest {
			enc.Encode(map[string]any{"record": "honest-violation", "preset": h.Preset, "probe": h.Probe, "invariant": h.Invariant,
				"detail": h.Detail, "seed": h.Seed, "replay": h.Replay})
		}
		enc.Encode(map[string]any{"record": "totals", "mutants": len(rows), "survived": survived, "honest_runs": honestRuns,
			"honest_violations": len(honest)})
	} else {
		mutants.WriteTable(stdout, rows)
		if *honestSeeds > 0 {
			fmt.Fprintf(stdout, "\nhonest presets: %d runs (%d presets x %d adversaries and none x 2 intents x 2 users x %d seeds): %d violations\n",
				honestRuns, len(variant.Names()), len(sim.AdversaryNames()), *honestSeeds, len(honest))
			for _, h := range honest {
				fmt.Fprintf(stdout, "  %s %s: %s (seed %d): %s\n    %s\n", h.Preset, h.Probe, h.Invariant, h.Seed, h.Detail, h.Replay)
			}
		}
		fmt.Fprintf(stdout, "\n%d mutants, %d caught, %d survived\n", len(rows), len(rows)-survived, survived)
	}
	if survived > 0 || len(honest) > 0 {
		return 1
	}
	return 0
}
