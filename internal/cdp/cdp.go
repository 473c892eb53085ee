//go:build unix

// Package cdp drives a headless Chromium over the Chrome DevTools protocol
// on a pipe (--remote-debugging-pipe): the browser reads commands from its
// file descriptor 3 and writes answers and events to 4, each message a JSON
// object ended by a NUL byte (Chromium's
// content/browser/devtools/devtools_pipe_handler.cc, chromium/chromium
// ee48dfb4). No port, no websocket: the standard library suffices. It is
// for the project's tests of its HTML reports.
package cdp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Flags are the switches a headless Chromium runs with here (as root, on a
// machine without network): no sandbox, no GPU, no background traffic.
var Flags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
	"--remote-debugging-pipe"}

// Message is a protocol message: an answer (ID set) or an event (Method
// set), from the browser or from a page's session.
type Message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Browser is a running Chromium and its pipe.
type Browser struct {
	cmd    *exec.Cmd
	w      io.WriteCloser
	in     chan Message
	readE  chan error
	next   int64
	Events []Message // events received so far, in order
}

// Launch starts exe headless with an empty profile in userDir (which it
// creates). stderr receives the browser's own log (nil: discarded).
func Launch(exe, userDir string, stderr io.Writer) (*Browser, error) {
	if err := os.MkdirAll(userDir, 0o755); err != nil {
		return nil, err
	}
	toBrowser, ourW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ourR, fromBrowser, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	args := append(append([]string(nil), Flags...), "--user-data-dir="+userDir, "about:blank")
	cmd := exec.Command(exe, args...)
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // descriptors 3 and 4
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers end with it
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	b := over(ourW, ourR)
	b.cmd = cmd
	return b, nil
}

// over speaks the protocol over w (commands) and r (answers and events).
func over(w io.WriteCloser, r io.ReadCloser) *Browser {
	b := &Browser{w: w, in: make(chan Message, 64), readE: make(chan error, 1)}
	go b.read(r)
	return b
}

// read splits the browser's output at NUL bytes into messages.
func (b *Browser) read(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		frame, err := br.ReadBytes(0)
		if err != nil {
			b.readE <- fmt.Errorf("reading the browser's pipe: %w", err)
			return
		}
		var m Message
		if err := json.Unmarshal(frame[:len(frame)-1], &m); err != nil {
			b.readE <- fmt.Errorf("a message from the browser is not JSON: %w: %.200q", err, frame)
			return
		}
		b.in <- m
	}
}

// Call sends method with params in session ("" for the browser itself) and
// waits for its answer, keeping the events that arrive meanwhile; the
// answer's result is decoded into result when it is not nil.
func (b *Browser) Call(ctx context.Context, session, method string, params, result any) error {
	b.next++
	id := b.next
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.w.Write(append(data, 0)); err != nil {
		return fmt.Errorf("%s: writing to the browser: %w", method, err)
	}
	for {
		m, err := b.receive(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if m.ID != id {
			continue
		}
		if m.Error != nil {
			return fmt.Errorf("%s: error %d: %s", method, m.Error.Code, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	}
}

// receive is the next message; an event is also kept in Events.
func (b *Browser) receive(ctx context.Context) (Message, error) {
	select {
	case m := <-b.in:
		if m.Method != "" {
			b.Events = append(b.Events, m)
		}
		return m, nil
	case err := <-b.readE:
		b.readE <- err
		return Message{}, err
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// WaitEvent waits for the event method in session, keeping every event.
func (b *Browser) WaitEvent(ctx context.Context, session, method string) (Message, error) {
	for i := len(b.Events) - 1; i >= 0; i-- {
		if e := b.Events[i]; e.Method == method && e.SessionID == session {
			return e, nil
		}
	}
	for {
		m, err := b.receive(ctx)
		if err != nil {
			return m, fmt.Errorf("waiting for %s: %w", method, err)
		}
		if m.Method == method && m.SessionID == session {
			return m, nil
		}
	}
}

// Close asks the browser to quit, and ends its process group if it has
// not within five seconds.
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = b.Call(ctx, "", "Browser.close", nil, nil) // the pipe may close before the answer
	cancel()
	b.w.Close()
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil // a browser told to close may exit with a status
		}
		return err
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		return errors.Join(errors.New("the browser did not quit: killed"), <-done)
	}
}

// Page is a tab, attached as a session of its own.
type Page struct {
	b       *Browser
	Session string
}

// NewPage opens a blank tab of width×height CSS pixels and enables the
// events a check needs: console, log, exceptions, network requests and
// page loads.
func (b *Browser) NewPage(ctx context.Context, width, height int) (*Page, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return nil, err
	}
	var a struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &a); err != nil {
		return nil, err
	}
	p := &Page{b: b, Session: a.SessionID}
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		if err := p.Call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	err := p.Call(ctx, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	return p, err
}

// Call sends a command to the page.
func (p *Page) Call(ctx context.Context, method string, params, result any) error {
	return p.b.Call(ctx, p.Session, method, params, result)
}

// Load navigates to url and waits for its load event.
func (p *Page) Load(ctx context.Context, url string) error {
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("loading %s: %s", url, nav.ErrorText)
	}
	_, err := p.b.WaitEvent(ctx, p.Session, "Page.loadEventFired")
	return err
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value (JSON-serialisable) into result.
func (p *Page) Eval(ctx context.Context, expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := p.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluating in the page: %s", r.ExceptionDetails.Text)
	}
	return json.Unmarshal(r.Result.Value, result)
}

// Screenshot is a PNG of what the page shows (the first screen).
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data []byte `json:"data"` // base64 in JSON
	}
	err := p.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &r)
	return r.Data, err
}

// Events are the page's events received so far.
func (p *Page) Events() []Message {
	var out []Message
	for _, e := range p.b.Events {
		if e.SessionID == p.Session {
			out = append(out, e)
		}
	}
	return out
}
