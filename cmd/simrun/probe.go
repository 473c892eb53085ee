package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"qrlab/lab/live"
	"qrlab/lab/probefuzz"
	"qrlab/model/rendezvous"
)

const probeUsage = `usage: simrun probe --homeserver URL [--flavour F] [--stable] [--access-token T]
                    [--wait-expiry D] [--hard-cap N] [--no-devices] [--json] [-v]
       simrun probe --fuzz --server URL (--preset P | --flavour F) [--budget D] [--seed N] [--out DIR]
       simrun probe --replay FILE --server URL

Checks a real homeserver's rendezvous API against every behaviour of the
project's MSC4108 notes, section 2, for the flavour /versions advertises
(or --flavour etag|sequence-token-2025|sequence-token): create, read,
conditional read (etag), write, stale write, idempotent write (2026), data
type and size errors, delete, unknown session, cache and CORS headers
(etag), token uniqueness, expiry fields, discovery and navigation screening
(2026), and the authentication mode. With --wait-expiry it also waits for a
session to expire, and with --hard-cap N it fills the store past its hard
cap. Then it runs the model's new and existing devices against the
server's rendezvous endpoints: create, scan, the secure-channel handshake,
the check code, and a message each way (the provider and the rest of the
homeserver are the lab's models, in process).

Each check prints pass, fail or skip with the observed response. Exit
status: 0 when nothing failed, 1 when a check failed, 2 on bad usage or
when the probe could not run.

With --fuzz it sends generated request sequences instead (valid ones, races
of two clients, stale and foreign tokens, duplicates, and requests
malformed in method, path, headers, body, size, encoding and framing) and
checks every answer against the model's store configured as --preset (a
variant of simrun variants, or a rendezvous store preset) or as the text of
--flavour: status, errcode, headers, body members, tokens, payloads, expiry
fields; no 5xx, no answer later than --timeout. A failing sequence is
shrunk and written to --out as a JSON reproducer that --replay FILE runs
again (a race's two requests also one after the other, in each order,
when at the same time they show nothing). The Synapse-as-shipped presets are also checked against their text:
a disagreement that their documented departures explain is reported as
known. Exit status 1 when a disagreement is new.
Flags:
`

func runProbe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return probe(ctx, args, stdout, stderr)
}

func probe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun probe", probeUsage, stderr, nil)
	hs := fs.String("homeserver", "", "the homeserver's client-server base URL, such as http://127.0.0.1:8008 (required)")
	flavour := fs.String("flavour", "", "rendezvous API to check: etag, sequence-token-2025 or sequence-token (default: what /versions advertises)")
	stable := fs.Bool("stable", false, "check the stable path /_matrix/client/v1/rendezvous instead of the unstable one")
	token := fs.String("access-token", "", "access token for creating sessions when the server requires one")
	wait := fs.Duration("wait-expiry", 0, "also check expiry, waiting up to this long for a session to expire")
	hardCap := intFlagOf(fs, "hard-cap", 0, 0, 100000, "also check the hard cap by creating N+1 sessions")
	noDevices := fs.Bool("no-devices", false, "skip the run of the model's devices")
	asJSON := fs.Bool("json", false, "print the checks as one JSON object")
	verbose := fs.Bool("v", false, "log every request to standard error")
	var fz fuzzFlags
	fz.register(fs)
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if fz.fuzz || fz.replay != "" {
		if *hs != "" && fz.server == "" {
			fz.server = *hs
		}
		fz.flavour = *flavour
		return probeFuzz(fz, stdout, stderr)
	}
	if *hs == "" {
		fmt.Fprintln(stderr, "simrun probe: --homeserver URL is required")
		return 2
	}
	opts := live.ProbeOptions{BaseURL: *hs, Stable: *stable, AccessToken: *token, WaitExpiry: *wait,
		HardCap: *hardCap, Devices: !*noDevices}
	if *flavour != "" {
		f, err := rendezvous.ParseFlavour(*flavour)
		if err != nil {
			fmt.Fprintf(stderr, "simrun probe: --flavour: unknown flavour %q (want etag, sequence-token-2025 or sequence-token)\n", *flavour)
			return 2
		}
		opts.Flavour = f
	}
	if *hardCap < 0 || *wait < 0 {
		fmt.Fprintln(stderr, "simrun probe: --hard-cap and --wait-expiry must not be negative")
		return 2
	}
	if *verbose {
		opts.Log = stderr
	}
	start := time.Now()
	checks, err := live.Probe(ctx, opts)
	pass, fail, skip := live.Summary(checks)
	if *asJSON {
		out := struct {
			Homeserver string       `json:"homeserver"`
			Checks     []live.Check `json:"checks"`
			Passed     int          `json:"passed"`
			Failed     int          `json:"failed"`
			Skipped    int          `json:"skipped"`
			Error      string       `json:"error,omitempty"`
		}{Homeserver: *hs, Checks: checks, Passed: pass, Failed: fail, Skipped: skip}
		if out.Checks == nil {
			out.Checks = []live.Check{}
		}
		if err != nil {
			out.Error = err.Error()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	} else {
		for _, c := range checks {
			fmt.Fprintf(stdout, "%-4s %-28s %s\n", c.Result, c.ID, c.Spec)
			if c.Result != live.Skip {
				fmt.Fprintf(stdout, "     observed: %s\n", c.Observed)
			}
			if c.Detail != "" {
				fmt.Fprintf(stdout, "     %s\n", c.Detail)
			}
		}
		fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped (%v)\n", pass, fail, skip, time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		fmt.Fprintf(stderr, "simrun probe: %v\n", err)
		return 2
	}
	if fail > 0 {
		return 1
	}
	return 0
}

// fuzzFlags are the flags of probe --fuzz and --replay.
type fuzzFlags struct {
	fuzz            bool
	server, preset  string
	flavour, replay string
	out             string
	budget, timeout time.Duration
	seed            uint64
	runs            int
}

func (f *fuzzFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.fuzz, "fuzz", false, "send generated request sequences and compare every answer with the model's")
	fs.StringVar(&f.server, "server", "", "with --fuzz or --replay: the server's base URL, http://host:port")
	fs.StringVar(&f.preset, "preset", "", "with --fuzz: what the server claims to be: a variant (simrun variants) or a rendezvous store preset")
	fs.StringVar(&f.replay, "replay", "", "run a reproducer that --fuzz wrote once more")
	fs.StringVar(&f.out, "out", "probe-fuzz-findings", "with --fuzz: directory for the reproducers")
	fs.DurationVar(&f.budget, "budget", 10*time.Second, "with --fuzz: how long to generate sequences")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "with --fuzz: how long one request may take before it counts as hung")
	fs.Uint64Var(&f.seed, "seed", 1, "with --fuzz: seed of the generated sequences")
	fs.IntVar(&f.runs, "runs", 0, "with --fuzz: generate exactly this many sequences instead of a budget")
}

// probeFuzz is simrun probe --fuzz and --replay.
func probeFuzz(fz fuzzFlags, stdout, stderr io.Writer) int {
	if fz.server == "" {
		fmt.Fprintln(stderr, "simrun probe: --fuzz and --replay need --server URL")
		return 2
	}
	var fd probefuzz.Finding
	if fz.replay != "" {
		b, err := os.ReadFile(fz.replay)
		if err == nil {
			err = json.Unmarshal(b, &fd)
		}
		if err != nil {
			fmt.Fprintf(stderr, "simrun probe: --replay: %v\n", err)
			return 2
		}
		fz.preset = fd.Served
	}
	var fl rendezvous.Flavour
	if fz.flavour != "" {
		var err error
		if fl, err = rendezvous.ParseFlavour(fz.flavour); err != nil {
			fmt.Fprintf(stderr, "simrun probe: --flavour: unknown flavour %q (want etag, sequence-token-2025 or sequence-token)\n", fz.flavour)
			return 2
		}
	}
	if fz.preset == "" && fl == 0 {
		fmt.Fprintln(stderr, "simrun probe: --fuzz needs --preset P or --flavour F (what the server claims to follow)")
		return 2
	}
	tg, err := probefuzz.ResolveTarget(fz.preset, fl, fz.server)
	if err != nil {
		fmt.Fprintf(stderr, "simrun probe: %v\n", err)
		return 2
	}
	f, err := probefuzz.NewFuzzer(probefuzz.Options{Target: tg, BaseURL: fz.server, Seed: fz.seed, Budget: fz.budget,
		Runs: fz.runs, Timeout: fz.timeout}, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "simrun probe: --server: %v\n", err)
		return 2
	}
	defer f.Close()
	if err := f.Reach(); err != nil {
		fmt.Fprintf(stderr, "simrun probe: %v\n", err)
		return 2
	}
	if fz.replay != "" {
		failed, msg := f.Replay(&fd)
		fmt.Fprintf(stdout, "probe --replay %s: %s\n", fz.replay, msg)
		if failed {
			return 1
		}
		return 0
	}
	res := f.Run()
	return reportProbeFuzz(tg, fz, res, stdout, stderr)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func reportProbeFuzz(tg probefuzz.Target, fz fuzzFlags, res *probefuzz.Result, stdout, stderr io.Writer) int {
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(stdout, "probe --fuzz %s (checked against %s): %d sequences, %d requests in %v: %.0f sequences/s, %.0f requests/s\n",
		tg.ServedName, tg.SpecName, res.Runs, res.Requests, res.Elapsed.Round(time.Millisecond), float64(res.Runs)/secs, float64(res.Requests)/secs)
	var seen []string
	for i, fd := range res.Findings {
		kind := "NEW"
		if len(fd.Known) > 0 {
			kind = "known departure " + strings.Join(fd.Known, "+")
			for _, k := range fd.Known {
				if !slices.Contains(seen, k) {
					seen = append(seen, k)
				}
			}
		}
		name := filepath.Join(fz.out, fmt.Sprintf("%02d-%s.json", i+1, strings.Trim(unsafeName.ReplaceAllString(fd.Class, "_"), "_")))
		if len(name) > 200 {
			name = name[:195] + ".json"
		}
		fmt.Fprintf(stdout, "%s: %s (%d sequences; %d steps: %s): %s\n", kind, fd.Class, fd.Count, len(fd.Steps), name, fd.Bad.Detail)
		if err := os.MkdirAll(fz.out, 0o755); err == nil {
			b, _ := json.MarshalIndent(fd, "", "  ")
			err = os.WriteFile(name, append(b, '\n'), 0o644)
			if err != nil {
				fmt.Fprintf(stderr, "simrun probe: %v\n", err)
			}
		}
	}
	if len(tg.Departures) > 0 {
		var doc []string
		for _, k := range tg.Departures {
			doc = append(doc, k.Field)
		}
		slices.Sort(seen)
		fmt.Fprintf(stdout, "documented departures of %s from %s: %s\nobserved: %s\n", tg.ServedName, tg.SpecName,
			strings.Join(doc, ", "), strings.Join(seen, ", "))
	}
	if n := res.New(); n > 0 {
		fmt.Fprintf(stdout, "%d new disagreement classes\n", n)
		return 1
	}
	return 0
}
