package deploy

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// binDir holds the simrun binary the tests build once per run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qrlab-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy tests:", err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var built struct {
	once sync.Once
	path string
	err  error
}

// simrunBinary builds qrlab/cmd/simrun from this checkout (once per test
// run) and returns its path: the tests ask the command line itself which
// subcommands and flags exist, so they follow it as it changes.
func simrunBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		path := filepath.Join(binDir, "simrun")
		out, err := exec.Command("go", "build", "-o", path, "qrlab/cmd/simrun").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build qrlab/cmd/simrun: %v\n%s", err, out)
			return
		}
		built.path = path
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// runSimrun runs simrun with args in dir and returns its exit code,
// stdout and stderr.
func runSimrun(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, stderr, err := execSimrun(simrunBinary(t), dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return code, stdout, stderr
}

// execSimrun runs the simrun binary bin; err is set when it could not run
// (an exit status other than 0 is not an error here). It does not touch
// a testing.T, so goroutines may call it.
func execSimrun(bin, dir string, args ...string) (int, string, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return 0, "", "", fmt.Errorf("simrun %s: %v", strings.Join(args, " "), err)
		}
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String(), nil
}

// cli is simrun's command line as its --help texts give it.
type cli struct {
	mu    sync.Mutex
	subs  map[string]bool
	flags map[string]map[string]bool // subcommand -> flag -> takes a value
}

var (
	subLine  = regexp.MustCompile(`^  ([a-z][a-z0-9-]*)\s`)
	flagLine = regexp.MustCompile(`^  -([^\s=]+?)(?: (\S+))?(?:\t|$)`)
)

// loadCLI reads the subcommands from simrun --help.
func loadCLI(t *testing.T) *cli {
	t.Helper()
	code, out, errs := runSimrun(t, t.TempDir(), "--help")
	if code != 0 {
		t.Fatalf("simrun --help: exit %d\n%s%s", code, out, errs)
	}
	c := &cli{subs: map[string]bool{}, flags: map[string]map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	inCommands := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Commands:") {
			inCommands = true
			continue
		}
		if m := subLine.FindStringSubmatch(line); inCommands && m != nil {
			c.subs[m[1]] = true
		}
	}
	if len(c.subs) == 0 {
		t.Fatalf("simrun --help lists no subcommands under \"Commands:\":\n%s", out)
	}
	return c
}

// flagsOf returns the flags of subcommand sub (from sub --help) and
// whether each takes a value.
func (c *cli) flagsOf(t *testing.T, sub string) map[string]bool {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flags[sub]; ok {
		return f
	}
	code, out, errs := runSimrun(t, t.TempDir(), sub, "--help")
	if code != 0 {
		t.Fatalf("simrun %s --help: exit %d\n%s%s", sub, code, out, errs)
	}
	f := map[string]bool{"help": false, "h": false}
	sc := bufio.NewScanner(strings.NewReader(out + errs))
	for sc.Scan() {
		if m := flagLine.FindStringSubmatch(sc.Text()); m != nil {
			f[m[1]] = m[2] != ""
		}
	}
	c.flags[sub] = f
	return f
}

// check reports what in one simrun command line (the arguments after
// "simrun") the command line does not accept: an unknown subcommand, an
// unknown flag, a flag without its value.
func (c *cli) check(t *testing.T, args []string) error {
	t.Helper()
	if len(args) == 0 {
		return nil // simrun alone runs the default scenario
	}
	sub := args[0]
	if !c.subs[sub] {
		return fmt.Errorf("simrun has no subcommand %q (it has %s)", sub, strings.Join(slices.Sorted(maps.Keys(c.subs)), ", "))
	}
	flags := c.flagsOf(t, sub)
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue // a positional argument
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takesValue, ok := flags[name]
		if !ok {
			return fmt.Errorf("simrun %s has no flag -%s (it has %s)", sub, name, strings.Join(slices.Sorted(maps.Keys(flags)), ", "))
		}
		if takesValue && !hasValue {
			if i+1 >= len(args) {
				return fmt.Errorf("simrun %s: flag -%s needs a value", sub, name)
			}
			i++
		}
	}
	return nil
}
