package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveProcess is simrun serve in a process of its own, its stdout a pipe
// the test reads or not, its stderr collected.
type serveProcess struct {
	cmd    *exec.Cmd
	base   string
	stdout io.ReadCloser
	mu     sync.Mutex
	stderr []string
	ended  chan struct{}
}

func (p *serveProcess) messages() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

// startServeProcess starts simrun serve on a free loopback port and waits
// for its listening line.
func startServeProcess(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	cmd := simrunProcess(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	p := &serveProcess{cmd: cmd, stdout: stdout, ended: make(chan struct{})}
	listening := make(chan string, 1)
	listen := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	go func() {
		defer close(p.ended)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr = append(p.stderr, sc.Text())
			p.mu.Unlock()
			if m := listen.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
	}()
	select {
	case p.base = <-listening:
	case <-p.ended:
		t.Fatalf("serve ended before listening: %s", p.messages())
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not say where it listens within 15 s: %s", p.messages())
	}
	return p
}

// stop sends SIGINT and returns the exit code.
func (p *serveProcess) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		<-p.ended
		done <- p.cmd.Wait()
	}()
	select {
	case <-done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop within 15 s of SIGINT: %s", p.messages())
	}
	return -1
}

// versions makes n GET /versions requests, failing at the first that gets
// no answer (a server blocked on its log never answers: the client's
// timeout only keeps the test from hanging).
func versions(t *testing.T, base string, n int) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	for i := 0; i < n; i++ {
		resp, err := c.Get(base + "/_matrix/client/versions")
		if err != nil {
			t.Fatalf("request %d of %d: %v", i+1, n, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i+1, resp.StatusCode)
		}
	}
}

// TestServeSlowLogReader is simrun serve | sleep: nobody reads the log.
// Every request is still answered, the dropped lines are counted, and
// SIGINT ends it with exit 0.
func TestServeSlowLogReader(t *testing.T) {
	p := startServeProcess(t, "--log", "trace")
	// Trace lines are ~130 bytes: a 64 KiB pipe holds ~500 of them, the
	// writer's blocked batch (64 KiB) as many, the log's queue 4096 more.
	versions(t, p.base, 8000)
	if code := p.stop(t); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0: %s", code, p.messages())
	}
	msgs := p.messages()
	if !regexp.MustCompile(`dropped \d+ line`).MatchString(msgs) || strings.Count(msgs, "dropping log lines") != 1 {
		t.Errorf("stderr does not say once that lines are dropped and how many: %s", msgs)
	}
}

// TestServeClosedLogPipe is simrun serve | head -1: the reader takes one
// line and goes away. The server reports that once, keeps serving, and
// exits 0 on SIGINT (not killed by SIGPIPE).
func TestServeClosedLogPipe(t *testing.T) {
	p := startServeProcess(t)
	versions(t, p.base, 1)
	line, err := bufio.NewReader(p.stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+ HS 200 GET /_matrix/client/versions\n$`).MatchString(line) {
		t.Errorf("first log line %q, want the compact line of the request", line)
	}
	p.stdout.Close()
	versions(t, p.base, 200)
	if code := p.stop(t); code != 0 {
		t.Errorf("exit %d after SIGINT (state %v), want 0: %s", code, p.cmd.ProcessState, p.messages())
	}
	if n := strings.Count(p.messages(), "writing the log failed"); n != 1 {
		t.Errorf("reported the closed log pipe %d times, want once: %s", n, p.messages())
	}
}

// TestServeStopWithStuckClient sends SIGINT while a client has sent a
// request's header and part of its body and nothing more: serve waits
// --shutdown-grace, closes that connection and exits 0.
func TestServeStopWithStuckClient(t *testing.T) {
	p := startServeProcess(t, "--shutdown-grace", "100ms", "--log", "off")
	c, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("POST /_matrix/client/v1/rendezvous HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")); err != nil {
		t.Fatal(err)
	}
	// A full exchange on another connection after it: the server has
	// accepted the stuck connection by then (it accepts in order).
	versions(t, p.base, 1)
	if code := p.stop(t); code != 0 {
		t.Errorf("exit %d after SIGINT with a stuck client, want 0: %s", code, p.messages())
	}
	if !strings.Contains(p.messages(), "closed the connections still open") {
		t.Errorf("stderr does not say the stuck connection was closed: %s", p.messages())
	}
}
