package qrdiff

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"qrlab/model/qr"
)

// Fields is a decoded payload in the field names of `simrun qr decode`.
type Fields struct {
	Format        string `json:"format"`
	Intent        string `json:"intent"`
	PublicKey     string `json:"public_key"`
	RendezvousURL string `json:"rendezvous_url,omitempty"`
	ServerName    string `json:"server_name,omitempty"`
	RendezvousID  string `json:"rendezvous_id,omitempty"`
	BaseURL       string `json:"base_url,omitempty"`
}

// Result is one decoder's verdict on one payload.
type Result struct {
	OK     bool    `json:"ok"`
	Fields *Fields `json:"fields,omitempty"`
	Error  string  `json:"error,omitempty"`
	// Why is the model's reason for a refusal, "field: kind", which names
	// the class of a disagreement (the model's error text has offsets).
	Why string `json:"-"`
}

// Decoder decodes payload bytes. An error means the decoder itself failed
// (crashed, hung, broke the protocol), not that it refused the payload.
type Decoder interface {
	Decode(b []byte) (Result, error)
}

// Model is the model's decoder as a Decoder: qr.Decode, then the URL check
// of a scanner with the variant knob qr.url_check on (qr.CheckURLs), as the
// Rust SDK presets scan, since the decoders fuzzed here parse URLs.
type Model struct{}

// Decode runs ModelDecode.
func (Model) Decode(b []byte) (Result, error) { return ModelDecode(b), nil }

// ModelDecode runs qr.Decode and qr.CheckURLs and reports in Result form.
func ModelDecode(b []byte) Result {
	p, err := qr.Decode(b)
	if err == nil {
		err = p.CheckURLs()
	}
	if err != nil {
		r := Result{Error: err.Error(), Why: "?"}
		var de *qr.DecodeError
		if errors.As(err, &de) {
			r.Why = de.Field + ": " + de.Kind.String()
		}
		return r
	}
	f := &Fields{
		Format:        string(p.Format),
		Intent:        p.Intent.String(),
		PublicKey:     base64.RawStdEncoding.EncodeToString(p.Key[:]),
		RendezvousURL: p.RendezvousURL,
		ServerName:    p.ServerName,
		RendezvousID:  p.RendezvousID,
		BaseURL:       p.BaseURL,
	}
	if p.Prefix != "" {
		f.Format += "/" + p.Prefix
	}
	return Result{OK: true, Fields: f}
}

// Hello is the first line a decoder process prints.
type Hello struct {
	Hello   string `json:"hello"`
	Version int    `json:"version"`
	Decoder string `json:"decoder"`
}

// Process is an external decoder: command run by sh -c, one request line
// in, one answer line out, each allowed timeout.
type Process struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	timeout time.Duration
	Hello   Hello
}

// StartProcess starts command and reads its hello.
func StartProcess(command string, timeout time.Duration) (*Process, error) {
	cmd := exec.Command("sh", "-c", command)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{b: &stderr, n: 4096}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting decoder %q: %v", command, err)
	}
	p := &Process{cmd: cmd, stdin: stdin, lines: make(chan string), timeout: timeout}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	// Loading a wasm module takes a while: the hello gets ten op timeouts.
	line, err := p.read(10 * timeout)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("decoder %q gave no hello: %v (stderr: %s)", command, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal([]byte(line), &p.Hello); err != nil || p.Hello.Hello != "qrdiff" || p.Hello.Version != 1 {
		p.Close()
		return nil, fmt.Errorf("decoder %q: first line is not a version-1 qrdiff hello: %q", command, line)
	}
	return p, nil
}

func (p *Process) read(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line, ok := <-p.lines:
		if !ok {
			return "", errors.New("the decoder exited")
		}
		return line, nil
	case <-t.C:
		return "", fmt.Errorf("no answer within %v", timeout)
	}
}

// Decode sends b and reads the answer.
func (p *Process) Decode(b []byte) (Result, error) {
	req, _ := json.Marshal(map[string]string{"payload": base64.RawStdEncoding.EncodeToString(b)})
	if _, err := p.stdin.Write(append(req, '\n')); err != nil {
		return Result{}, fmt.Errorf("writing to the decoder: %v", err)
	}
	line, err := p.read(p.timeout)
	if err != nil {
		return Result{}, err
	}
	var a struct {
		Result
		Bad string `json:"bad"`
	}
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		return Result{}, fmt.Errorf("the decoder answered something that is not JSON: %q", line)
	}
	if a.Bad != "" {
		return Result{}, fmt.Errorf("the decoder did not understand the request: %s", a.Bad)
	}
	if a.OK && a.Fields == nil {
		return Result{}, fmt.Errorf("the decoder accepted without fields: %q", line)
	}
	return a.Result, nil
}

// Close ends the process.
func (p *Process) Close() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(2 * time.Second):
		p.cmd.Process.Kill()
		return <-done
	}
}

type limitedWriter struct {
	b *strings.Builder
	n int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if left := w.n - w.b.Len(); left > 0 {
		w.b.Write(p[:min(left, len(p))])
	}
	return len(p), nil
}
