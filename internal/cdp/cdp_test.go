//go:build unix

package cdp

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// fakeBrowser answers each command on the other end of the pipes: an event
// of the command's session first, then the answer, an error for
// "Bad.method"; it writes a last frame that is not JSON on "Break.pipe".
func fakeBrowser(t *testing.T, r io.Reader, w io.WriteCloser) {
	br := bufio.NewReader(r)
	for {
		frame, err := br.ReadBytes(0)
		if err != nil {
			w.Close()
			return
		}
		var m struct {
			ID        int64  `json:"id"`
			Method    string `json:"method"`
			SessionID string `json:"sessionId"`
		}
		if err := json.Unmarshal(frame[:len(frame)-1], &m); err != nil {
			t.Errorf("a command is not JSON: %q", frame)
			return
		}
		ev, _ := json.Marshal(map[string]any{"method": "Fake.event", "sessionId": m.SessionID, "params": map[string]string{"for": m.Method}})
		var ans []byte
		switch m.Method {
		case "Bad.method":
			ans, _ = json.Marshal(map[string]any{"id": m.ID, "error": map[string]any{"code": -32601, "message": "no such method"}})
		case "Break.pipe":
			w.Write([]byte("{oops\x00"))
			continue
		default:
			ans, _ = json.Marshal(map[string]any{"id": m.ID, "sessionId": m.SessionID, "result": map[string]string{"echo": m.Method}})
		}
		w.Write(append(append(ev, 0), append(ans, 0)...))
	}
}

// TestCallOverPipe checks the framing (JSON ended by NUL both ways), that
// an answer is matched to its command, that events met on the way are
// kept and found by WaitEvent, that a protocol error and a frame that is
// not JSON are errors that say so.
func TestCallOverPipe(t *testing.T) {
	toR, toW := io.Pipe()
	fromR, fromW := io.Pipe()
	go fakeBrowser(t, toR, fromW)
	b := over(toW, fromR)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var res struct {
		Echo string `json:"echo"`
	}
	if err := b.Call(ctx, "S1", "Page.enable", nil, &res); err != nil || res.Echo != "Page.enable" {
		t.Fatalf("call: %v %+v", err, res)
	}
	if e, err := b.WaitEvent(ctx, "S1", "Fake.event"); err != nil || !strings.Contains(string(e.Params), "Page.enable") {
		t.Errorf("event: %v %+v", err, e)
	}
	p := &Page{b: b, Session: "S2"}
	if err := p.Call(ctx, "Runtime.enable", map[string]int{"x": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if ev := p.Events(); len(ev) != 1 || ev[0].SessionID != "S2" {
		t.Errorf("page events: %+v", ev)
	}
	if err := b.Call(ctx, "", "Bad.method", nil, nil); err == nil || !strings.Contains(err.Error(), "Bad.method: error -32601: no such method") {
		t.Errorf("protocol error: %v", err)
	}
	if err := b.Call(ctx, "", "Break.pipe", nil, nil); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("broken frame: %v", err)
	}
}
