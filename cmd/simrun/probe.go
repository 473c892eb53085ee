package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"qrlab/lab/live"
	"qrlab/model/rendezvous"
)

const probeUsage = `usage: simrun probe --homeserver URL [--flavour F] [--stable] [--access-token T]
                    [--wait-expiry D] [--hard-cap N] [--no-devices] [--json] [-v]

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
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
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
