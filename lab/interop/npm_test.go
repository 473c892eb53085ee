package interop

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// npmPackage is a pinned npm package a test needs (testdata/interop: the
// wasm crypto package; testdata/jssdk: matrix-js-sdk). require installs it
// with `npm ci` when node_modules is missing or does not match
// package-lock.json, once per test binary and under a lock shared with other
// test binaries, and returns the path of node. Without node, npm or the
// registry it skips the test with the reason, or fails it under CI=true.
type npmPackage struct {
	label   string // names the test in messages ("interop test")
	dir     string // testdata folder with package.json and package-lock.json
	minNode int    // oldest Node.js major version the package runs on
	needs   string // what needs that version, for the message
	once    sync.Once
	node    string      // path of node, when usable
	skip    string      // why the tests skip (never under CI)
	fail    string      // why they fail
	note    string      // what setup did, logged once
	logged  atomic.Bool // whether a test logged note
}

func (p *npmPackage) require(t *testing.T) string {
	t.Helper()
	p.once.Do(p.setup)
	if p.fail != "" {
		t.Fatal(p.fail)
	}
	if p.skip != "" {
		t.Skip(p.skip)
	}
	if p.logged.CompareAndSwap(false, true) {
		t.Log(p.note)
	}
	return p.node
}

func (p *npmPackage) setup() {
	unavailable := func(format string, args ...any) {
		why := fmt.Sprintf(format, args...)
		if underCI() {
			p.fail = "the " + p.label + " cannot run, and under CI=true it must: " + why
		} else {
			p.skip = strings.ToUpper(p.label) + " SKIPPED (it fails under CI=true): " + why
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node not found on PATH (install Node.js %d or newer): %v", p.minNode, err)
		return
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		unavailable("%s --version: %v", node, err)
		return
	}
	version := strings.TrimSpace(string(out))
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(version, "v"), ".", 2)[0])
	if err != nil || major < p.minNode {
		unavailable("node %s is too old or unrecognised; %s needs Node.js %d or newer", version, p.needs, p.minNode)
		return
	}
	dir, err := filepath.Abs(p.dir)
	if err != nil {
		p.fail = err.Error()
		return
	}
	note := "the npm packages are installed and match package-lock.json"
	if why := nodeModulesStale(dir); why != "" {
		npm, err := exec.LookPath("npm")
		if err != nil {
			unavailable("%s, and npm is not on PATH to install it: %v", why, err)
			return
		}
		unlock, err := lockInterop(dir)
		if err != nil {
			p.fail = fmt.Sprintf("installing the npm packages: %v", err)
			return
		}
		defer unlock()
		// Another test binary may have installed them while we waited.
		if nodeModulesStale(dir) != "" {
			announce(openTTY, os.Stderr, fmt.Sprintf("%s: installing the pinned npm packages (npm ci in %s, about 20 s; %s)", p.label, dir, why))
			ctx, cancel := context.WithTimeout(context.Background(), interopNpmTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				unavailable("%s, and `npm ci` in %s failed after %v (is the npm registry reachable?): %v\n%s",
					why, dir, time.Since(start).Round(time.Millisecond), err, lastLines(out, 20))
				return
			}
			if why := nodeModulesStale(dir); why != "" {
				p.fail = fmt.Sprintf("after a successful `npm ci` in %s: %s", dir, why)
				return
			}
			note = fmt.Sprintf("%s; ran `npm ci` in %v", why, time.Since(start).Round(time.Millisecond))
		} else {
			note = "another test binary installed the npm packages while this one waited"
		}
	}
	p.node = node
	p.note = fmt.Sprintf("node %s; %s", version, note)
}

// announce tells the person at the terminal that a slow step starts. go
// test ./... holds a package's output until its tests end, so a line on
// the test binary's stderr would only show after the wait it announces:
// the note goes to the controlling terminal when there is one (open), and
// to fallback otherwise (CI logs, where -v shows it).
func announce(open func() (io.WriteCloser, error), fallback io.Writer, msg string) {
	if tty, err := open(); err == nil {
		fmt.Fprintln(tty, msg)
		tty.Close()
		return
	}
	fmt.Fprintln(fallback, msg)
}

// openTTY opens the controlling terminal for writing.
func openTTY() (io.WriteCloser, error) { return os.OpenFile("/dev/tty", os.O_WRONLY, 0) }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// TestAnnounce: the note of a slow install goes to the terminal when there
// is one (go test ./... would hold it back otherwise) and to the fallback
// when there is none.
func TestAnnounce(t *testing.T) {
	var tty, fallback strings.Builder
	announce(func() (io.WriteCloser, error) { return nopCloser{&tty}, nil }, &fallback, "installing")
	if tty.String() != "installing\n" || fallback.String() != "" {
		t.Errorf("with a terminal: terminal %q, fallback %q", tty.String(), fallback.String())
	}
	tty.Reset()
	announce(func() (io.WriteCloser, error) { return nil, os.ErrNotExist }, &fallback, "installing")
	if tty.String() != "" || fallback.String() != "installing\n" {
		t.Errorf("without a terminal: terminal %q, fallback %q", tty.String(), fallback.String())
	}
}
