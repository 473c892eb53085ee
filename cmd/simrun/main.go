// Command simrun is the lab's one front door: it runs simulations, sweeps
// and their reports, the mutants battery and the fuzz targets, serves the
// model over HTTP and probes real homeservers, encodes and decodes QR
// payloads, and speaks the secure channel as a reference peer. Each
// subcommand parses its flags, calls the library (package lab and the
// packages under it) and prints.
//
// Exit codes: 0 ok, 1 an invariant was violated or a test failed, 2 bad usage
// or bad input.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"time"
)

// command is one subcommand: it reads its arguments and standard streams and
// returns the process exit code.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "simulate logins over a virtual network with every invariant monitor (run --help)", runRun},
		{"replay", "re-run one seed exactly and print its whole trace (replay --seed N ...)", runReplay},
		{"sweep", "run a scenario's sweep grid on every core, streaming records, then report (sweep SCENARIO --out DIR)", runSweep},
		{"report", "write report.md and report.html with plots from a sweep's records (report DIR)", runReport},
		{"merge", "join the directories of a sweep's shards into one (merge --out DIR SHARD...)", runMerge},
		{"list", "list the built-in scenarios and their sweeps", runList},
		{"mutants", "run the known-bad designs against invariants and properties; exit 1 if one survives (mutants --budget 60s)", runMutants},
		{"fuzz", "run every native fuzz target in turn for a share of a budget (fuzz --budget 60s)", runFuzz},
		{"demo", "decode example QR payloads and show a handshake per channel construction", runDemo},
		{"qr", "encode and decode QR payloads (qr decode B64 | qr encode --format F ...)", runQR},
		{"channel", "speak the secure channel as a JSON-lines peer on stdin/stdout", runChannel},
		{"fuzz-peer", "fuzz another secure-channel implementation against the model (fuzz-peer --peer CMD --construction C)", runFuzzPeer},
		{"fuzz-qr", "fuzz another QR payload decoder against the model's (fuzz-qr --peer CMD)", runFuzzQR},
		{"variants", "list the design variants (presets) and their knobs", runVariants},
		{"serve", "serve the model homeserver and provider over real HTTP (serve --variant NAME ...)", runServe},
		{"compat", "the compatibility matrix of client presets: success rate and dominant failure per pair (compat --out DIR)", runCompat},
		{"calibrate", "check the simulator's tcp transport against the kernel's TCP in a private network namespace (root)", runCalibrate},
		{"explore", "explore every interleaving and fault placement within budgets, checking every invariant (explore --loss 1 --dup 1)", runExplore},
		{"probe", "check a real homeserver's rendezvous API against the spec (probe --homeserver URL)", runProbe},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runRun(nil, stdin, stdout, stderr)
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "simrun: unknown command %s (simrun --help lists the commands)\n", strconv.QuoteToASCII(args[0]))
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: simrun [COMMAND [ARGS]]")
	fmt.Fprintln(w, "With no command, simrun runs the built-in scenario \"default\" (simrun run).")
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

// newFlagSet is a subcommand's flag set: errors go to stderr, and its
// usage is the usage text, the flags, then whatever more writes (nil for
// nothing).
func newFlagSet(name, usage string, stderr io.Writer, more func(w io.Writer)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
		if more != nil {
			more(fs.Output())
		}
	}
	return fs
}

// parseFlags parses args into fs. code is -1 when parsing succeeded, else
// the exit status (0 after --help, which prints the usage; 2 for a bad
// flag, said in one line naming the flag and what it takes).
func parseFlags(fs *flag.FlagSet, args []string) (code int) {
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		usage()
		return 0
	}
	fmt.Fprintf(out, "%s: %s (%s --help lists the flags)\n", fs.Name(), flagError(fs, err), fs.Name())
	return 2
}

// The texts of the flag package's parse errors.
var (
	flagBadValue = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-(\S+): `)
	flagUnknown  = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	flagNoValue  = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
)

// flagError says what is wrong with a flag in the command's own words:
// which flag, and which values it takes.
func flagError(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if m := flagBadValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[2]); f != nil {
			return fmt.Sprintf("--%s: %s is not %s", m[2], m[1], flagTakes(f)) // m[1] is quoted
		}
	}
	if m := flagNoValue.FindStringSubmatch(msg); m != nil {
		if f := fs.Lookup(m[1]); f != nil {
			return fmt.Sprintf("--%s needs a value: %s", m[1], flagTakes(f))
		}
	}
	if m := flagUnknown.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown flag %s", strconv.QuoteToASCII("--"+m[1]))
	}
	return strconv.QuoteToASCII(msg)
}

// flagTakes describes the values a flag takes, by its type.
func flagTakes(f *flag.Flag) string {
	if r, ok := f.Value.(*intFlag); ok {
		return r.takes()
	}
	g, _ := f.Value.(flag.Getter)
	if g == nil {
		return "a valid value"
	}
	switch g.Get().(type) {
	case bool:
		return "true or false"
	case int:
		return "a whole number"
	case uint64:
		return fmt.Sprintf("a whole number from 0 to %d", uint64(math.MaxUint64))
	case float64:
		return "a number (like 0.7)"
	case time.Duration:
		return "a duration (like 90s, 5m or 1h30m)"
	}
	return "a valid value"
}

// parseNoArgs is parseFlags for a subcommand that takes no positional
// argument: one is a usage error, said on stderr.
func parseNoArgs(fs *flag.FlagSet, args []string, stderr io.Writer) (code int) {
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}

// parseInterspersed parses fs's flags wherever they stand among args and
// returns the positional arguments in order. code is -1 when parsing
// succeeded, else the exit status (0 after --help, 2 for a bad flag).
func parseInterspersed(fs *flag.FlagSet, args []string) (pos []string, code int) {
	for {
		if code := parseFlags(fs, args); code >= 0 {
			return nil, code
		}
		if fs.NArg() == 0 {
			return pos, -1
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
