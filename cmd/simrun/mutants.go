package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"qrlab/model/channel"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
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

// probe is one scenario of a mutant's battery: flags for simrun run on a
// built-in scenario, so that a finding replays exactly.
type mprobe struct {
	scenario, intent, network, adversary string
	swarm                                bool
	// differential: an attacker's win (even one the run explains by an
	// exposure) counts when the honest base preset, same scenario and
	// seed, holds.
	differential bool
}

func (p mprobe) label() string {
	s := p.scenario + " " + p.intent
	if p.adversary != "" {
		s += " +" + p.adversary
	}
	if p.swarm {
		s += " swarm"
	}
	return s
}

// opts builds the run options simrun run would get for the probe.
func (p mprobe) opts(variantName string, seed uint64) *runOpts {
	o := &runOpts{scenario: p.scenario, variant: variantName, intent: p.intent, network: p.network, adversary: p.adversary,
		swarm: p.swarm, seed: seed, runs: 1, set: map[string]bool{"variant": true, "seed": true, "runs": true, "adversary": true}}
	if p.intent != "" {
		o.set["intent"] = true
	}
	if p.network != "" {
		o.set["network"] = true
	}
	if p.swarm {
		o.set["swarm"] = true
	}
	return o
}

func (p mprobe) replay(variantName string, seed uint64) string {
	s := fmt.Sprintf("simrun replay --scenario %s --variant %s", p.scenario, variantName)
	if p.intent != "" {
		s += " --intent " + p.intent
	}
	if p.network != "" {
		s += " --network " + p.network
	}
	adv := p.adversary
	if adv == "" {
		adv = "none"
	}
	s += " --adversary " + adv
	if p.swarm {
		s += " --swarm"
	}
	return s + fmt.Sprintf(" --seed %d", seed)
}

// battery is what each mutant is run against: properties first, then the
// probes seed by seed. The plain runs come first where the mutation breaks
// a rule every login checks.
func battery(name string) ([]string, []mprobe) {
	plain := []mprobe{{scenario: "default", intent: "login"}, {scenario: "default", intent: "reciprocate"}}
	surfer := []mprobe{{scenario: "attack-shoulder-surfer", intent: "reciprocate", adversary: "shoulder-surfer"},
		{scenario: "attack-shoulder-surfer", intent: "login", adversary: "shoulder-surfer"}}
	mal := []mprobe{{scenario: "default", intent: "login", adversary: "malicious-rendezvous"},
		{scenario: "default", intent: "reciprocate", adversary: "malicious-rendezvous"}}
	switch name {
	case variant.MutNoCheckCode:
		return nil, append(surfer, plain...)
	case variant.MutSecretsBeforeDeviceCheck:
		return nil, append(plain, mprobe{scenario: "default", intent: "login", adversary: "device-id-confusion"})
	case variant.MutSecretsBeforeSuccess:
		return nil, plain
	case variant.MutStaticNonce:
		return []string{"channel-nonce-unique", "channel-replay-rejected"}, append(mal, mprobe{scenario: "default", intent: "login", adversary: "replayer"})
	case variant.MutSharedDirectionKey:
		return []string{"channel-reflection-rejected", "channel-nonce-unique"}, mal
	case variant.MutAcceptUnexpectedMessages:
		return []string{"login-unexpected-message-ends"}, append(mal, plain...)
	case variant.MutIgnoreETag, variant.MutIgnoreSequenceToken:
		return nil, append(append(append([]mprobe{}, surfer...), plain...),
			mprobe{scenario: "default", intent: "login", network: "lossy-3g"}, mprobe{scenario: "default", intent: "reciprocate", network: "lossy-3g"})
	case variant.MutNoExpiry:
		return nil, []mprobe{{scenario: "default", intent: "login", swarm: true}, {scenario: "default", intent: "reciprocate", swarm: true},
			{scenario: "default", intent: "login", adversary: "deleter"}}
	case variant.MutReuseEphemeralKey:
		return []string{"ephemeral-keys-fresh"}, []mprobe{{scenario: "default", intent: "login", adversary: "replayer"},
			{scenario: "default", intent: "reciprocate", adversary: "replayer"}}
	case variant.MutNoAADBinding:
		return []string{"login-splice-rejected"}, append(mal, mprobe{scenario: "default", intent: "login", adversary: "replayer"})
	case variant.MutNoWhoamiCheck:
		return nil, []mprobe{{scenario: "attack-account-confusion-blind-user", intent: "login", adversary: "account-confusion"},
			{scenario: "attack-account-confusion-blind-user", intent: "login", adversary: "account-confusion", differential: true}}
	}
	return nil, plain
}

// mutantRow is one line of the table.
type mutantRow struct {
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
	Sim *simCatch `json:"sim,omitempty"`
}

// simCatch is a simulated run that caught a mutant.
type simCatch struct {
	Invariant string  `json:"invariant"`
	Probe     string  `json:"probe"`
	Detail    string  `json:"detail"`
	Seed      uint64  `json:"seed"`
	Runs      int     `json:"runs"`
	WallMs    float64 `json:"wall_ms"`
	Replay    string  `json:"replay"`
}

// honestRow is a violation by an honest preset.
type honestRow struct {
	Preset, Probe, Invariant, Detail, Replay string
	Seed                                     uint64
}

func runMutants(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun mutants", mutantsUsage, stderr, func(w io.Writer) {
		fmt.Fprintf(w, "\nMutants: %s\n", strings.Join(variant.MutantNames(), ", "))
	})
	budget := fs.Duration("budget", 60*time.Second, "wall-time budget for the mutants, shared equally among them")
	only := fs.String("mutant", "", "run only this mutant (a name from model/variant/mutants)")
	asJSON := fs.Bool("json", false, "print one JSON record per mutant and per honest violation, and a totals record")
	honestSeeds := fs.Int("honest-seeds", 10, "seeds per honest preset, adversary, intent and user (0: skip the honest presets)")
	maxSeeds := fs.Int("max-seeds", 5000, "at most this many seeds per mutant probe")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if *budget <= 0 || *honestSeeds < 0 || *maxSeeds < 1 {
		fmt.Fprintln(stderr, "simrun mutants: --budget must be positive, --honest-seeds at least 0, --max-seeds at least 1")
		return 2
	}
	names := variant.MutantNames()
	if *only != "" {
		if _, err := variant.LoadMutant(*only); err != nil {
			fmt.Fprintf(stderr, "simrun mutants: --mutant: %v\n", err)
			return 2
		}
		names = []string{*only}
	}
	share := *budget / time.Duration(len(names))
	rows := make([]mutantRow, len(names))
	parallel(len(names), func(i int) { rows[i] = hunt(names[i], share, *maxSeeds) })
	var honest []honestRow
	var honestRuns int
	if *honestSeeds > 0 {
		honest, honestRuns = honestPresets(*honestSeeds)
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
		printMutants(stdout, rows)
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

func printMutants(w io.Writer, rows []mutantRow) {
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

// hunt runs one mutant's battery until the first detection or the budget.
func hunt(name string, budget time.Duration, maxSeeds int) mutantRow {
	start := time.Now()
	row := mutantRow{Mutant: name}
	v, err := variant.LoadMutant(name)
	if err != nil {
		row.Errors = append(row.Errors, err.Error())
		return row
	}
	row.Base = variant.MutantBase(v)
	props, probes := battery(v.Mutations.List()[0])
	done := func() mutantRow {
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
		cfg, _, err := p.opts(v.Name, 1).config()
		if err == nil {
			runners[i], err = sim.NewRunner(cfg)
		}
		if err == nil && p.differential {
			bcfg, _, berr := p.opts(row.Base, 1).config()
			if berr == nil {
				bases[i], berr = sim.NewRunner(bcfg)
			}
			err = berr
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
			var c *simCatch
			if res.Violation != nil {
				c = &simCatch{Invariant: res.Violation.Invariant, Detail: res.Violation.Detail}
			} else if p.differential && res.AttackerWon != "" {
				b, err := bases[i].Run(seed)
				row.Runs++
				if err == nil && b.AttackerWon == "" && b.Violation == nil {
					c = &simCatch{Invariant: "attacker-won-where-base-holds",
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

// honestPresets runs every honest preset under every adversary (and none),
// both intents, an attentive and a blind user, and returns the violations.
func honestPresets(seeds int) ([]honestRow, int) {
	type job struct {
		preset string
		p      mprobe
	}
	var jobs []job
	for _, n := range variant.Names() {
		for _, a := range append([]string{""}, sim.AdversaryNames()...) {
			for _, in := range []string{"login", "reciprocate"} {
				jobs = append(jobs, job{n, mprobe{scenario: "default", intent: in, adversary: a}})
				jobs = append(jobs, job{n, mprobe{scenario: "attack-shoulder-surfer-blind-user", intent: in, adversary: a}})
			}
		}
	}
	out := make([][]honestRow, len(jobs))
	runs := make([]int, len(jobs))
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		cfg, _, err := j.p.opts(j.preset, 1).config()
		var r *sim.Runner
		if err == nil {
			r, err = sim.NewRunner(cfg)
		}
		if err != nil {
			out[i] = append(out[i], honestRow{Preset: j.preset, Probe: j.p.label(), Invariant: "config", Detail: err.Error()})
			return
		}
		for s := uint64(1); s <= uint64(seeds); s++ {
			res, err := r.Run(s)
			runs[i]++
			if err != nil {
				out[i] = append(out[i], honestRow{Preset: j.preset, Probe: j.p.label(), Invariant: "error", Detail: err.Error(), Seed: s})
				return
			}
			if v := res.Violation; v != nil {
				out[i] = append(out[i], honestRow{Preset: j.preset, Probe: j.p.label(), Invariant: v.Invariant, Detail: v.Detail,
					Seed: s, Replay: j.p.replay(j.preset, s)})
				return // the first per probe is enough
			}
		}
	})
	var all []honestRow
	total := 0
	for i := range jobs {
		all = append(all, out[i]...)
		total += runs[i]
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Preset < all[b].Preset })
	return all, total
}

// workers is how many mutants or honest probes run at once.
func workers() int { return runtime.GOMAXPROCS(0) }

// parallel calls f(0) .. f(n-1) on at most workers() goroutines and
// returns when all have returned.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers())
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// A property is an in-process check of one design, run once (it is
// deterministic): it returns "" when the property holds, or what broke it,
// and ok false when it does not apply to the design.
type property struct {
	name  string
	check func(v variant.Variant) (broken string, ok bool, err error)
}

func properties() []property {
	return []property{
		{"channel-nonce-unique", propNonceUnique},
		{"channel-replay-rejected", propReplayRejected},
		{"channel-reflection-rejected", propReflectionRejected},
		{"ephemeral-keys-fresh", propKeysFresh},
		{"login-splice-rejected", propSpliceRejected},
		{"login-unexpected-message-ends", propUnexpectedEnds},
	}
}

func propertyByName(name string) property {
	for _, p := range properties() {
		if p.name == name {
			return p
		}
	}
	panic("simrun mutants: no property " + name) // programmer error
}

// stream is a deterministic random source for the properties.
func stream(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// handshake runs the channel handshake of v's construction.
func handshake(v variant.Variant, seed uint64) (g, s *channel.Channel, err error) {
	cc, err := v.ChannelConfig()
	if err != nil {
		return nil, nil, err
	}
	rnd := stream(seed)
	gen, err := channel.NewGenerator(cc, rnd)
	if err != nil {
		return nil, nil, err
	}
	s, init, err := channel.Initiate(cc, gen.PublicKey(), []byte(channel.LoginInitiate), nil, rnd)
	if err != nil {
		return nil, nil, err
	}
	g, _, err = gen.Accept(init, nil, rnd)
	if err != nil {
		return nil, nil, err
	}
	ok, err := g.Seal([]byte(channel.LoginOk), nil)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Open(ok, nil); err != nil {
		return nil, nil, err
	}
	return g, s, nil
}

// propNonceUnique: sealing the same plaintext twice in one direction gives
// two ciphertexts (a nonce is never used twice under one key).
func propNonceUnique(v variant.Variant) (string, bool, error) {
	g, s, err := handshake(v, 1)
	if err != nil {
		return "", true, err
	}
	for _, c := range []*channel.Channel{s, g} {
		a, err1 := c.Seal([]byte(`{"type":"m.login.success"}`), nil)
		b, err2 := c.Seal([]byte(`{"type":"m.login.success"}`), nil)
		if err1 != nil || err2 != nil {
			return "", true, fmt.Errorf("seal: %v %v", err1, err2)
		}
		if a == b {
			return fmt.Sprintf("%s sealed the same plaintext twice into the same ciphertext (nonce reused)", c.Role()), true, nil
		}
	}
	return "", true, nil
}

// propReplayRejected: a payload opens once; the same payload again fails.
func propReplayRejected(v variant.Variant) (string, bool, error) {
	g, s, err := handshake(v, 2)
	if err != nil {
		return "", true, err
	}
	p, err := s.Seal([]byte(`{"type":"m.login.protocols"}`), nil)
	if err != nil {
		return "", true, err
	}
	if _, err := g.Open(p, nil); err != nil {
		return "", true, fmt.Errorf("first open: %v", err)
	}
	if _, err := g.Open(p, nil); err == nil {
		return "G opened the same payload twice (replay accepted)", true, nil
	}
	return "", true, nil
}

// propReflectionRejected: a device cannot open a payload it sealed itself.
func propReflectionRejected(v variant.Variant) (string, bool, error) {
	g, s, err := handshake(v, 3)
	if err != nil {
		return "", true, err
	}
	for _, c := range []*channel.Channel{s, g} {
		p, err := c.Seal([]byte(`{"type":"m.login.success"}`), nil)
		if err != nil {
			return "", true, err
		}
		if _, err := c.Open(p, nil); err == nil {
			return fmt.Sprintf("%s opened its own payload reflected back (one key both ways)", c.Role()), true, nil
		}
	}
	return "", true, nil
}

// propKeysFresh: two sessions drawing different randomness get different
// ephemeral keys on both sides.
func propKeysFresh(v variant.Variant) (string, bool, error) {
	cc, err := v.ChannelConfig()
	if err != nil {
		return "", true, err
	}
	var gk, sk [2]channel.PublicKey
	for i := range 2 {
		g, err := channel.NewGenerator(cc, stream(uint64(10+i)))
		if err != nil {
			return "", true, err
		}
		s, err := channel.NewScanner(cc, stream(uint64(20+i)))
		if err != nil {
			return "", true, err
		}
		gk[i], sk[i] = g.PublicKey(), s.PublicKey()
	}
	switch {
	case gk[0] == gk[1]:
		return "two sessions' generators drew the same ephemeral key", true, nil
	case sk[0] == sk[1]:
		return "two sessions' scanners drew the same ephemeral key", true, nil
	}
	return "", true, nil
}

// mailbox is a minimal honest JSON rendezvous session for driving one
// machine in the login properties.
type mailbox struct {
	id, data, token string
	n               int
}

func (m *mailbox) answer(v variant.Variant, req login.Request) login.Response {
	js := func(status int, body string) login.Response {
		return login.Response{Status: status, Body: []byte(body)}
	}
	session := strings.Contains(req.Path, "/"+m.id)
	switch {
	case req.Method == "GET" && !session:
		return js(200, `{"create_available":true}`)
	case req.Method == "POST":
		return js(200, fmt.Sprintf(`{"id":%q,"sequence_token":%q,"expires_in_ms":120000}`, m.id, m.token))
	case req.Method == "GET":
		return js(200, fmt.Sprintf(`{"data":%q,"sequence_token":%q}`, m.data, m.token))
	case req.Method == "PUT":
		var b struct {
			Token string `json:"sequence_token"`
			Data  string `json:"data"`
		}
		if err := json.Unmarshal(req.Body, &b); err != nil || b.Token != m.token {
			return js(409, `{"errcode":"M_CONCURRENT_WRITE"}`)
		}
		m.write(b.Data)
		return js(200, fmt.Sprintf(`{"sequence_token":%q}`, m.token))
	case req.Method == "DELETE":
		return js(200, `{}`)
	}
	return js(404, `{"errcode":"M_NOT_FOUND"}`)
}

func (m *mailbox) write(data string) {
	m.n++
	m.data, m.token = data, fmt.Sprintf("tok%d", m.n)
}

// driver steps one machine against a mailbox, answering its rendezvous
// requests at once and firing its poll timers on demand.
type driver struct {
	v      variant.Variant
	step   func(login.Millis, login.Input) []login.Effect
	box    *mailbox
	now    login.Millis
	timers []uint64
	qr     []byte
	opened []string
	ended  bool
	// other is a request for another target, left unanswered.
	other bool
}

func (d *driver) feed(in login.Input) {
	queue := []login.Input{in}
	for len(queue) > 0 {
		in := queue[0]
		queue = queue[1:]
		d.now += 10
		for _, f := range d.step(d.now, in) {
			switch f.Kind {
			case login.EffectRequest:
				if f.Request.Target != login.TargetRendezvous {
					d.other = true
					continue
				}
				if f.Request.Method == "DELETE" {
					continue
				}
				queue = append(queue, login.Input{Kind: login.InputResponse, ID: f.Request.ID, Response: d.box.answer(d.v, f.Request)})
			case login.EffectSetTimer:
				d.timers = append(d.timers, f.Timer)
			case login.EffectShowQR:
				d.qr = f.Data
			case login.EffectChannel:
				if !f.Sealed {
					d.opened = append(d.opened, f.MsgType)
				}
			case login.EffectOutcome:
				d.ended = true
			}
		}
	}
}

// poll fires the timers set so far (the poll among them).
func (d *driver) poll() {
	ts := d.timers
	d.timers = nil
	for _, t := range ts {
		d.feed(login.Input{Kind: login.InputTimer, ID: t})
	}
}

// generator starts a new device showing the QR code (login intent) on a
// mailbox with session ID id.
func generator(v variant.Variant, id string) (*driver, error) {
	n, err := login.NewNewDevice(login.NewDeviceConfig{Variant: v, Intent: qr.Login, RendezvousBaseURL: rendezvous.DefaultBaseURL}, stream(40))
	if err != nil {
		return nil, err
	}
	d := &driver{v: v, step: n.Step, box: &mailbox{id: id, token: "tok0"}}
	d.feed(login.Input{Kind: login.InputStart})
	if d.qr == nil {
		return nil, fmt.Errorf("the new device showed no QR code")
	}
	return d, nil
}

func jsonFlavour(v variant.Variant) bool {
	rc, err := v.RendezvousConfig()
	return err == nil && rc.Flavour != rendezvous.FlavourETag && !v.Rendezvous.PutTxnID && v.QRFormat() != qr.Format2024
}

// propSpliceRejected: a LoginInitiate that the design's own scanner wrote
// in another rendezvous session (same G key, same sequence token, another
// session ID), copied into this one, must not open. Only for designs with
// the 2026 session binding.
func propSpliceRejected(v variant.Variant) (string, bool, error) {
	if !v.Channel.AADBinding || !jsonFlavour(v) {
		return "", false, nil
	}
	g, err := generator(v, "SESSIONA")
	if err != nil {
		return "", true, err
	}
	p, err := qr.Decode(g.qr)
	if err != nil {
		return "", true, err
	}
	p.RendezvousID = "SESSIONB"
	other, err := p.Marshal()
	if err != nil {
		return "", true, err
	}
	e, err := login.NewExistingDevice(login.ExistingDeviceConfig{Variant: v, Intent: qr.Login, BaseURL: rendezvous.DefaultBaseURL,
		ServerName: "matrix.example.org", AccessToken: "token"}, stream(41))
	if err != nil {
		return "", true, err
	}
	s := &driver{v: v, step: e.Step, box: &mailbox{id: "SESSIONB", token: g.box.token}}
	s.feed(login.Input{Kind: login.InputStart})
	s.feed(login.Input{Kind: login.InputScanned, Data: other})
	if s.box.n != 1 {
		return "", true, fmt.Errorf("the scanner wrote no LoginInitiate")
	}
	g.box.write(s.box.data)
	g.poll()
	for _, o := range g.opened {
		if o == "LoginInitiate" {
			return "G opened a LoginInitiate written in another rendezvous session (no session binding)", true, nil
		}
	}
	return "", true, nil
}

// propUnexpectedEnds: a well-formed message out of place (m.login.success
// while the new device waits for m.login.protocols) ends the login.
func propUnexpectedEnds(v variant.Variant) (string, bool, error) {
	if !jsonFlavour(v) {
		return "", false, nil
	}
	g, err := generator(v, "SESSIONA")
	if err != nil {
		return "", true, err
	}
	p, err := qr.Decode(g.qr)
	if err != nil {
		return "", true, err
	}
	cc, err := v.ChannelConfig()
	if err != nil {
		return "", true, err
	}
	aad := func() []byte {
		if !v.Channel.AADBinding || v.Mutations.Has(variant.MutNoAADBinding) {
			return nil
		}
		b, _ := channel.BindingAAD(v.AADLayout(), p.BaseURL, p.RendezvousID, g.box.token)
		return b
	}
	ch, init, err := channel.Initiate(cc, channel.PublicKey(p.Key), []byte(channel.LoginInitiate), aad(), stream(42))
	if err != nil {
		return "", true, err
	}
	g.box.write(init)
	before := g.box.token
	g.poll() // G opens LoginInitiate and writes LoginOk
	if g.box.token == before || g.ended {
		return "", true, fmt.Errorf("the new device did not answer LoginInitiate (opened %v)", g.opened)
	}
	sealAAD := aad()
	var openAAD []byte
	if sealAAD != nil {
		openAAD, _ = channel.BindingAAD(v.AADLayout(), p.BaseURL, p.RendezvousID, before)
	}
	if _, err := ch.Open(g.box.data, openAAD); err != nil {
		return "", true, fmt.Errorf("LoginOk: %v", err)
	}
	pt, err := msg.Encode(msg.Success{})
	if err != nil {
		return "", true, err
	}
	out, err := ch.Seal(pt, sealAAD)
	if err != nil {
		return "", true, err
	}
	g.box.write(out)
	g.poll()
	opened := false
	for _, o := range g.opened {
		opened = opened || o == msg.TypeSuccess
	}
	if !opened {
		return "", true, fmt.Errorf("the new device never opened the out-of-place message (opened %v)", g.opened)
	}
	if !g.ended {
		return "the new device opened m.login.success while waiting for m.login.protocols and carried on", true, nil
	}
	return "", true, nil
}
