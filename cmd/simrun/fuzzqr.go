package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"qrlab/lab/qrdiff"
)

const fuzzQRUsage = `usage: simrun fuzz-qr --peer "CMD" [--budget D | --runs N] [--seed N] [--out DIR]

Fuzzes another QR payload decoder differentially against the model's. CMD
(run by sh -c) prints a hello line and answers each request line
{"payload":"<base64>"} with one JSON line (lab/qrdiff; the wasm adapter is
lab/interop/testdata/interop/qrdiff.mjs). Payloads are built from every
layout and mutated; a disagreement (accept or refuse, or any field) is shrunk
to a shortest payload of its class, written to --out as a reproducer and
classified: a known departure (the table in lab/qrdiff) or a new finding.
Exit status 0 when every disagreement is known, 1 when one is new (or the
decoder fails), 2 for bad usage.
Flags:
`

// runFuzzQR is simrun fuzz-qr.
func runFuzzQR(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun fuzz-qr", fuzzQRUsage, stderr, nil)
	command := fs.String("peer", "", "the decoder's command line, run by sh -c (required)")
	budget := fs.Duration("budget", 10*time.Second, "how long to generate payloads")
	runs := fs.Int("runs", 0, "generate exactly this many payloads instead of a budget")
	seed := fs.Uint64("seed", 1, "seed of the generated payloads")
	out := fs.String("out", filepath.Join(os.TempDir(), "qrlab-fuzz-qr"), "directory for the reproducers of disagreements")
	timeout := fs.Duration("op-timeout", 5*time.Second, "how long the decoder may take over one payload before it counts as hung")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	if *command == "" {
		fmt.Fprintln(stderr, "simrun fuzz-qr: --peer is required")
		return 2
	}
	p, err := qrdiff.StartProcess(*command, *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "simrun fuzz-qr: %v\n", err)
		return 1
	}
	defer p.Close()
	rep, err := qrdiff.Run(p, qrdiff.Options{Seed: *seed, Budget: *budget, Runs: *runs}, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "simrun fuzz-qr: the decoder failed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "fuzz-qr against %s: %d payloads (%d accepted alike) in %v: %.0f/s\n",
		p.Hello.Decoder, rep.Cases, rep.Accepted, rep.Elapsed.Round(time.Millisecond), float64(rep.Cases)/rep.Elapsed.Seconds())
	for _, f := range rep.Findings {
		path, err := qrdiff.WriteFinding(*out, f)
		if err != nil {
			fmt.Fprintf(stderr, "simrun fuzz-qr: writing a reproducer: %v\n", err)
			return 1
		}
		kind := "NEW FINDING"
		if f.Known != nil {
			kind = "known (" + f.Known.Name + ")"
		}
		fmt.Fprintf(stdout, "  %s: %s, seen %d times, %d-byte reproducer %s (%s)\n", kind, f.Class, f.Count, len(f.Payload), path, f.Hex)
	}
	if n := rep.New(); n > 0 {
		fmt.Fprintf(stdout, "%d new disagreement classes\n", n)
		return 1
	}
	return 0
}
