package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"qrlab/internal/fixture"
	"qrlab/lab/live"
)

// TestMain runs the test binary as simrun itself when SIMRUN_TEST_MAIN is
// set, so that a test can run the command in a process of its own (for
// signals) without building it.
func TestMain(m *testing.M) {
	if os.Getenv("SIMRUN_TEST_MAIN") == "1" {
		os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// simrunProcess is the command simrun args, run by the test binary.
func simrunProcess(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SIMRUN_TEST_MAIN=1")
	return cmd
}

// startServe runs `simrun serve` in process with args (plus a random
// loopback port) until the test ends, and returns the server and its trace.
func startServe(t *testing.T, args ...string) (*live.Server, *fixture.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	trace, stderr := &fixture.Buffer{}, &fixture.Buffer{}
	ready := make(chan *live.Server, 1)
	exited := make(chan int, 1)
	go func() {
		exited <- serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), trace, stderr, func(s *live.Server) { ready <- s })
	}()
	var srv *live.Server
	select {
	case srv = <-ready:
	case code := <-exited:
		cancel()
		t.Fatalf("simrun serve %q exited %d before listening: %s", args, code, stderr)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("simrun serve %q did not listen within 10 s: %s", args, stderr)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("simrun serve exited %d after the shutdown; stderr:\n%s", code, stderr)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("simrun serve did not shut down within 10 s")
		}
	})
	return srv, trace
}

func TestServeUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown flag", []string{"serve", "--bogus"}, 2, []string{`unknown flag "--bogus"`}},
		{"bad variant", []string{"serve", "--variant", "nope"}, 2, []string{`unknown variant "nope"`, "msc4108-2024", "msc4388"}},
		{"bad auth", []string{"serve", "--auth", "maybe"}, 2, []string{`unknown auth mode "maybe"`}},
		{"negative TTL", []string{"serve", "--rendezvous-ttl", "-1s"}, 2, []string{"--rendezvous-ttl"}},
		{"caps", []string{"serve", "--soft-cap", "5", "--hard-cap", "2"}, 2, []string{"HardCap 2 is below SoftCap 5"}},
		{"argument", []string{"serve", "extra"}, 2, []string{`unexpected argument "extra"`}},
		{"help", []string{"serve", "--help"}, 0, []string{"simrun-test-token", "@tester:", "--rendezvous-ttl"}},
		{"probe without homeserver", []string{"probe"}, 2, []string{"--homeserver URL is required"}},
		{"probe bad flavour", []string{"probe", "--homeserver", "http://127.0.0.1:1", "--flavour", "x"}, 2, []string{`unknown flavour "x"`}},
		{"probe unknown flag", []string{"probe", "--bogus"}, 2, []string{`unknown flag "--bogus"`}},
		{"probe bad URL", []string{"probe", "--homeserver", "ftp://x"}, 2, []string{"is not an http(s) URL"}},
		{"probe no server", []string{"probe", "--homeserver", "http://127.0.0.1:1"}, 2, []string{"GET /_matrix/client/versions"}},
		{"probe help", []string{"probe", "--help"}, 0, []string{"--wait-expiry", "section 2", "--fuzz", "--replay"}},
		{"fuzz without server", []string{"probe", "--fuzz", "--preset", "msc4388-726e115"}, 2, []string{"need --server URL"}},
		{"fuzz without preset", []string{"probe", "--fuzz", "--server", "http://127.0.0.1:1"}, 2, []string{"--preset P or --flavour F"}},
		{"fuzz unknown preset", []string{"probe", "--fuzz", "--server", "http://127.0.0.1:1", "--preset", "nope"}, 2,
			[]string{`unknown preset "nope"`, "synapse-1.157", "sequence-token-txn"}},
		{"fuzz https", []string{"probe", "--fuzz", "--server", "https://x", "--flavour", "etag"}, 2, []string{"plain HTTP"}},
		{"fuzz no server", []string{"probe", "--fuzz", "--server", "http://127.0.0.1:1", "--flavour", "etag"}, 2, []string{"connecting to 127.0.0.1:1"}},
		{"replay missing file", []string{"probe", "--replay", "/nonexistent.json", "--server", "http://127.0.0.1:1"}, 2, []string{"--replay", "nonexistent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

// probeJSON runs simrun probe --json against base and decodes its report.
func probeJSON(t *testing.T, base string, args ...string) (int, []live.Check) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	code := probe(ctx, append([]string{"--homeserver", base, "--json"}, args...), &stdout, &stderr)
	var out struct {
		Checks []live.Check `json:"checks"`
		Failed int          `json:"failed"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("probe --json printed %q: %v (stderr %s)", stdout.String(), err, stderr.String())
	}
	return code, out.Checks
}

func checkResult(checks []live.Check, id string) string {
	for _, c := range checks {
		if c.ID == id {
			return c.Result
		}
	}
	return "missing"
}

// TestProbeCommandAgainstServe runs the two commands against each other:
// the text presets pass every check (expiry and hard cap included, with a
// short TTL and a small cap), the Synapse preset fails where Synapse departs
// from the 2024 text, with exit status 1.
func TestProbeCommandAgainstServe(t *testing.T) {
	t.Run("msc4108-2024-spec/expiry-and-caps", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServe(t, "--variant", "msc4108-2024-spec", "--rendezvous-ttl", "1s", "--soft-cap", "3", "--hard-cap", "5")
		code, checks := probeJSON(t, srv.BaseURL(), "--wait-expiry", "5s", "--hard-cap", "5", "--no-devices")
		if code != 0 {
			t.Errorf("exit %d, want 0: %+v", code, checks)
		}
		for _, id := range []string{"etag.create", "etag.put.stale", "etag.fresh-empty", "expiry", "hard-cap"} {
			if r := checkResult(checks, id); r != live.Pass {
				t.Errorf("check %s: %s", id, r)
			}
		}
	})
	t.Run("msc4388/devices", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServe(t, "--variant", "msc4388", "--auth", "authenticated")
		code, checks := probeJSON(t, srv.BaseURL(), "--access-token", live.TestAccessToken)
		if code != 0 {
			t.Errorf("exit %d, want 0: %+v", code, checks)
		}
		for _, id := range []string{"auth.required", "auth.invalid-token", "json.put.idempotent", "devices.channel", "devices.login"} {
			if r := checkResult(checks, id); r != live.Pass {
				t.Errorf("check %s: %s", id, r)
			}
		}
	})
	t.Run("msc4108-2024/synapse-deviations", func(t *testing.T) {
		t.Parallel()
		srv, _ := startServe(t, "--variant", "msc4108-2024")
		var stdout, stderr bytes.Buffer
		code := probe(context.Background(), []string{"--homeserver", srv.BaseURL()}, &stdout, &stderr)
		if code != 1 {
			t.Errorf("exit %d, want 1 (Synapse's content-hash ETags fail the uniqueness check)", code)
		}
		out := stdout.String()
		for _, w := range []string{"fail etag.unique", "pass devices.login", "observed: PUT ", " passed, 3 failed"} {
			if !strings.Contains(out, w) {
				t.Errorf("the report lacks %q:\n%s", w, out)
			}
		}
	})
}

// TestServeBinarySignal runs simrun serve in a process of its own: it
// prints where it listens, logs exchanges as JSON trace lines, and shuts
// down on SIGINT with exit 0.
func TestServeBinarySignal(t *testing.T) {
	cmd := simrunProcess("serve", "--addr", "127.0.0.1:0", "--variant", "msc4108-2025", "--rendezvous-ttl", "10s", "--log", "trace")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout fixture.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	listen := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	var seen []string
	timeout := time.After(15 * time.Second)
	for base == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before listening: %q", seen)
			}
			seen = append(seen, l)
			if m := listen.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
		case <-timeout:
			t.Fatalf("serve did not say where it listens within 15 s: %q", seen)
		}
	}
	if !strings.Contains(strings.Join(seen, "\n"), "outside the MSC's 120-300 s") {
		// The warning comes before the listening line.
		t.Errorf("no TTL warning for 10s in %q", seen)
	}
	resp, err := http.Post(base+"/_matrix/client/unstable/io.element.msc4108/rendezvous", "application/json", strings.NewReader(`{"data":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("create: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for l := range lines {
			seen = append(seen, l)
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGINT: %v; stderr %q", err, seen)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of SIGINT")
	}
	if !strings.Contains(strings.Join(seen, "\n"), "shutting down") {
		t.Errorf("no shutdown message in %q", seen)
	}
	var ev struct {
		Kind, Actor, Name, Detail string
		Status                    int
	}
	first := strings.SplitN(stdout.String(), "\n", 2)[0]
	if err := json.Unmarshal([]byte(first), &ev); err != nil || ev.Kind != "recv" || ev.Actor != "HS" || ev.Status != 200 ||
		!strings.Contains(ev.Detail, "created ") {
		t.Errorf("first trace line %q (%v), want a recv event of the create", first, err)
	}
}

// TestProbeFuzzAgainstServe: probe --fuzz against serve of a Synapse
// preset exits 0, prints its rate and the departures it saw, and writes
// reproducers that probe --replay runs (exit 0: what shows again is a
// documented departure).
func TestProbeFuzzAgainstServe(t *testing.T) {
	t.Parallel()
	srv, _ := startServe(t, "--variant", "msc4108-2025")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"probe", "--fuzz", "--server", srv.BaseURL(), "--preset", "msc4108-2025", "--runs", "40",
		"--out", out}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("probe --fuzz exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, w := range []string{"40 sequences", "requests/s", "known departure", "documented departures of msc4108-2025"} {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(files) == 0 {
		t.Fatal("no reproducer written")
	}
	stdout.Reset()
	code = dispatch([]string{"probe", "--replay", files[0], "--server", srv.BaseURL()}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "documented departure") {
		t.Errorf("probe --replay %s: exit %d, %s%s", files[0], code, stdout.String(), stderr.String())
	}
}
