package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"qrlab/lab/peerfuzz"
	"qrlab/model/channel"
)

const fuzzPeerUsage = `usage: simrun fuzz-peer --peer "CMD" --construction C [--budget D] [--seed N] [--out DIR] [--corpus DIR [--corpus-out DIR]]

Fuzzes another implementation of the secure channel differentially. CMD (run
by sh -c) must speak version 2 of the JSON-lines protocol of simrun channel
(lab/peer/PROTOCOL.md: hello, named sessions). Generated op sequences run
against it and against the model side by side; each class of disagreement is
shrunk to a shortest sequence, written to --out as a reproducer and
classified: a known departure (the table in lab/peerfuzz) or a new finding.
Sequences that show a behaviour not seen before are added to --corpus, or to
--corpus-out when given (CI keeps the corpus in the repository unchanged and
its growth in a folder of its own, to be folded in by copying).
Exit status 0 when every disagreement is known, 1 when one is new (or the
peer cannot be started), 2 for bad usage.
Flags:
`

// runFuzzPeer is simrun fuzz-peer.
func runFuzzPeer(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun fuzz-peer", fuzzPeerUsage, stderr, nil)
	command := fs.String("peer", "", "the peer's command line, run by sh -c (required)")
	construction := fs.String("construction", "", "secure channel construction (required)")
	budget := fs.Duration("budget", 10*time.Second, "how long to generate sequences")
	runs := fs.Int("runs", 0, "generate exactly this many sequences instead of a budget")
	seed := fs.Uint64("seed", 1, "seed of the generated sequences and the model's keys")
	out := fs.String("out", "fuzz-peer-findings", "directory for the reproducers of disagreements")
	corpus := fs.String("corpus", "", "corpus directory: replayed first, grown with sequences showing new behaviour")
	corpusOut := fs.String("corpus-out", "", "write the new corpus sequences here instead of into --corpus")
	timeout := fs.Duration("op-timeout", 5*time.Second, "how long the peer may take over one op before it counts as hung")
	ceiling := fs.Bool("ceiling", false, "only measure the peer's round trips per second for the budget, comparing nothing")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	c, err := channel.ParseConstruction(*construction)
	if err != nil {
		fmt.Fprintf(stderr, "simrun fuzz-peer: --construction: %v\n", err)
		return 2
	}
	if *command == "" {
		fmt.Fprintln(stderr, "simrun fuzz-peer: --peer is required")
		return 2
	}
	if *corpusOut != "" && *corpus == "" {
		fmt.Fprintln(stderr, "simrun fuzz-peer: --corpus-out needs --corpus (the corpus it grows)")
		return 2
	}
	var entries []peerfuzz.Entry
	if *corpus != "" {
		if entries, err = peerfuzz.LoadCorpus(*corpus, string(c)); err != nil {
			fmt.Fprintf(stderr, "simrun fuzz-peer: --corpus: %v\n", err)
			return 2
		}
	}
	p, hello, err := peerfuzz.StartProcess(*command, *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "simrun fuzz-peer: %v\n", err)
		return 1
	}
	defer p.Close()
	if !*ceiling && !slices.Contains(hello.Constructions, string(c)) {
		fmt.Fprintf(stderr, "simrun fuzz-peer: the peer speaks %v, not %s\n", hello.Constructions, c)
		return 1
	}
	if *ceiling {
		n, took, err := peerfuzz.Ceiling(p, *budget, time.Now)
		if err != nil {
			fmt.Fprintf(stderr, "simrun fuzz-peer: --ceiling: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "fuzz-peer --ceiling: %d round trips in %v: %.0f/s\n", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
		return 0
	}
	aad := hello.AAD == nil || *hello.AAD
	f := peerfuzz.NewFuzzer(p, c, *seed)
	res := f.Run(peerfuzz.Options{Construction: c, Seed: *seed, Budget: *budget, Runs: *runs, AAD: aad, Corpus: entries}, time.Now)
	fmt.Fprintf(stdout, "fuzz-peer %s: %d sequences (%d from the corpus), %d steps, %d differential ops in %v: %.0f ops/s\n",
		c, res.Runs, len(entries), res.Steps, res.Ops, res.Elapsed.Round(time.Millisecond), float64(res.Ops)/res.Elapsed.Seconds())
	for _, fd := range res.Findings {
		path, err := peerfuzz.WriteFinding(*out, fd)
		if err != nil {
			fmt.Fprintf(stderr, "simrun fuzz-peer: writing a reproducer: %v\n", err)
			return 1
		}
		kind := "NEW FINDING"
		if fd.Known != nil {
			kind = "known (" + fd.Known.Name + ")"
		}
		fmt.Fprintf(stdout, "  %s: %s, seen %d times, %d-step reproducer %s\n", kind, fd.Class, fd.Count, len(fd.Steps), path)
	}
	if grow := cmp.Or(*corpusOut, *corpus); grow != "" {
		n, err := peerfuzz.SaveCorpus(grow, res.NewCorpus)
		if err != nil {
			fmt.Fprintf(stderr, "simrun fuzz-peer: saving the corpus: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "corpus %s: %d new sequences\n", grow, n)
	}
	if res.New() > 0 {
		fmt.Fprintf(stdout, "%d new disagreement classes\n", res.New())
		return 1
	}
	return 0
}
