package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"qrlab/lab"
	"qrlab/model/variant"
)

const compatUsage = `usage: simrun compat [flags]

Runs every pair of client presets (the new device's client × the existing
device's, which also brings its homeserver, provider and rendezvous server)
for each intent, the same seeds in every cell, and prints the compatibility
matrix as Markdown: each cell's success rate with its Wilson 95% interval,
then each failing cell's dominant failure with both devices' endings and the
root cause. With --out, also writes compat.md, compat.png and compat.svg
(a heatmap per intent) and compat.html (one self-contained page: the
answer per intent first, then each heatmap inline, matrix and failures).
Flags:
`

// runCompat computes and prints the compatibility matrix.
func runCompat(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun compat", compatUsage, stderr, nil)
	runs := intFlagOf(fs, "runs", 50, 1, 1_000_000, "runs per cell")
	seed := fs.Uint64("seed", 1, "the first seed of every cell")
	network := fs.String("network", "lan", "the network profile")
	server := fs.String("server", "", "a preset whose homeserver and provider replace the existing device's (default: each existing device's own)")
	intents := fs.String("intents", "login,reciprocate", "the intents, comma-separated (login, reciprocate)")
	presets := fs.String("presets", strings.Join(variant.Names(), ","), "the client presets on both axes, comma-separated")
	out := fs.String("out", "", "also write compat.md, compat.png, compat.svg and compat.html in this directory")
	workers := intFlagOf(fs, "workers", lab.DefaultWorkers(), 1, 1024, "parallel runs")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simrun compat: unexpected argument %q (simrun compat --help lists the flags)\n", fs.Arg(0))
		return 2
	}
	m, err := lab.Compat(lab.CompatOptions{Presets: splitList(*presets), Intents: splitList(*intents), Network: *network, Server: *server,
		Runs: *runs, Seed: *seed, Workers: *workers})
	if err != nil {
		fmt.Fprintf(stderr, "simrun compat: %v\n", err)
		return 2
	}
	m.WriteMarkdown(stdout)
	if *out == "" {
		return 0
	}
	if err := m.WritePlots(*out); err != nil {
		fmt.Fprintf(stderr, "simrun compat: %v\n", err)
		return 1
	}
	if err := m.WriteHTML(*out); err != nil {
		fmt.Fprintf(stderr, "simrun compat: %v\n", err)
		return 1
	}
	f, err := os.Create(filepath.Join(*out, "compat.md"))
	if err == nil {
		fmt.Fprint(f, "## Compatibility matrix\n\n![heatmap of the success rates](compat.png)\n\n")
		m.WriteMarkdown(f)
		err = f.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "simrun compat: %v\n", err)
		return 1
	}
	return 0
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
