package peerfuzz

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"qrlab/lab/peer"
)

// Conn is one peer speaking protocol version 2: one op line in, one event
// line out.
type Conn interface {
	// Do sends line and returns the event the peer answered. An error
	// means the peer crashed, hung or answered something that is not an
	// event; it is an *Failure then.
	Do(line []byte) (peer.Event, error)
	Close() error
}

// Failure is a peer that crashed, hung or broke the protocol.
type Failure struct {
	Kind   string // "crash", "timeout" or "protocol"
	Detail string
}

func (f *Failure) Error() string { return f.Kind + ": " + f.Detail }

// Local is the model as a Conn: lab/peer's Mux in this process.
type Local struct{ Mux *peer.Mux }

// Do runs line through the Mux.
func (l Local) Do(line []byte) (peer.Event, error) { return l.Mux.Handle(line), nil }

// Close does nothing.
func (Local) Close() error { return nil }

// Process is an external peer: the command run by sh -c, ops on its
// standard input, events on its standard output, each op allowed timeout.
// A peer that crashed or hung is killed and started again on the next op.
// Every start (the first and each restart) begins with hello, allowed
// StartupTimeout, so that how long the peer takes to load never counts
// against an op.
type Process struct {
	command string
	timeout time.Duration
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan []byte
	stderr  *tail
}

// StartupTimeout is how long a started peer has to answer hello: a lab
// default, far above the 0.6 to 1.1 s that lab/interop's fuzzpeer.mjs (a
// wasm peer under node) took from start to hello on a 2-core machine at
// load 11, so that a loaded machine does not turn a slow start into a hang.
const StartupTimeout = time.Minute

// StartProcess starts command and checks that it speaks version 2.
func StartProcess(command string, timeout time.Duration) (*Process, peer.Event, error) {
	p := &Process{command: command, timeout: timeout}
	hello, err := p.start()
	if err != nil {
		return nil, hello, err
	}
	return p, hello, nil
}

// start starts the command and checks its hello.
func (p *Process) start() (peer.Event, error) {
	if err := p.spawn(); err != nil {
		return peer.Event{}, err
	}
	hello, err := p.do([]byte(`{"op":"hello"}`), StartupTimeout)
	if err == nil && hello.Event == "ready" && hello.Session == "" {
		// A peer with a default session (simrun channel) announces it
		// first; the answer to hello is the next line.
		hello, err = p.read(StartupTimeout)
	}
	if err != nil {
		p.Close()
		return hello, fmt.Errorf("peer %q: hello: %w", p.command, err)
	}
	if hello.Event != "hello" || hello.Protocol < peer.ProtocolVersion {
		p.Close()
		return hello, fmt.Errorf("peer %q answered hello with %+v: fuzz-peer needs protocol version %d (named sessions; see lab/peer/PROTOCOL.md)", p.command, hello, peer.ProtocolVersion)
	}
	return hello, nil
}

func (p *Process) spawn() error {
	cmd := exec.Command("sh", "-c", p.command)
	// Its own process group, so that killing a hung peer kills what sh
	// started too; and Wait gives up on the output of a stray child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	p.stderr = &tail{}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting peer %q: %w", p.command, err)
	}
	lines := make(chan []byte, 1)
	go func() {
		r := bufio.NewReaderSize(stdout, 64*1024)
		for {
			b, err := r.ReadBytes('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- b
		}
	}()
	p.cmd, p.stdin, p.lines = cmd, stdin, lines
	return nil
}

// Do sends one line and waits for one answer (a peer that is not running
// is started first).
func (p *Process) Do(line []byte) (peer.Event, error) {
	if p.cmd == nil {
		if _, err := p.start(); err != nil {
			return peer.Event{}, &Failure{"crash", "restarting: " + err.Error()}
		}
	}
	return p.do(line, p.timeout)
}

func (p *Process) do(line []byte, timeout time.Duration) (peer.Event, error) {
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	if _, err := p.stdin.Write(buf); err != nil {
		return peer.Event{}, p.fail("crash", "writing to the peer: "+err.Error())
	}
	return p.read(timeout)
}

// read waits for one answer line.
func (p *Process) read(timeout time.Duration) (peer.Event, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case b, ok := <-p.lines:
		if !ok {
			return peer.Event{}, p.fail("crash", "the peer closed its output")
		}
		var ev peer.Event
		if err := json.Unmarshal(b, &ev); err != nil || ev.Event == "" {
			return peer.Event{}, p.fail("protocol", fmt.Sprintf("answer is not an event: %q", strings.TrimSpace(string(b))))
		}
		return ev, nil
	case <-timer.C:
		return peer.Event{}, p.fail("timeout", fmt.Sprintf("no answer within %v", timeout))
	}
}

// fail kills the peer (it is started again on the next op) and says why,
// with the end of its standard error.
func (p *Process) fail(kind, detail string) error {
	p.Close()
	if s := strings.TrimSpace(p.stderr.String()); s != "" {
		detail += "; its stderr ends: " + s
	}
	return &Failure{kind, detail}
}

// Close ends the peer.
func (p *Process) Close() error {
	if p.cmd == nil {
		return nil
	}
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	p.cmd = nil
	return err
}

// tail keeps the last 2 KiB written to it.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
