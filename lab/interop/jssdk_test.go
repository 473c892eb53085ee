package interop

// A real client against the lab's server (lab/live, what simrun serve
// runs): matrix-js-sdk (pinned in testdata/jssdk, with the wasm crypto
// package it depends on) runs both devices of a 2024 flow through Node's fetch against the server started in
// process on a random loopback port. testdata/jssdk/flow.mjs drives it and
// prints one RESULT line this test reads.
//
// Like the interop test it installs the pinned package with `npm ci` when
// node_modules is missing or stale, skips without Node (or npm registry)
// and fails instead under CI=true.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"qrlab/internal/fixture"
	"qrlab/lab/live"
	"qrlab/model/variant"
)

const jssdkDir = "testdata/jssdk"

// jssdkPackage is the pinned matrix-js-sdk with its wasm crypto package.
var jssdkPackage = &npmPackage{label: "js-sdk test", dir: jssdkDir, minNode: 20, needs: "matrix-js-sdk 37"}

// ensureJSSDK makes sure node and the pinned matrix-js-sdk are there and
// returns the path of node.
func ensureJSSDK(t *testing.T) string {
	t.Helper()
	return jssdkPackage.require(t)
}

// startServe runs the lab's server (what simrun serve runs) for the
// variant on a random loopback port until the test ends, and returns it and
// its trace.
func startServe(t *testing.T, variantName string) (*live.Server, *fixture.Buffer) {
	t.Helper()
	v, err := variant.Load(variantName)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	trace := &fixture.Buffer{}
	opts := live.Options{Variant: v, SoftCap: -1, HardCap: -1, Auth: live.AuthPublic, Trace: trace}
	srv, _, err := live.New(opts, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan error, 1)
	go func() { exited <- live.Serve(ctx, ln, srv, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("the server: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("the server did not shut down within 10 s")
		}
		srv.Close()
	})
	return srv, trace
}

// jssdkRequest is one request flow.mjs recorded.
type jssdkRequest struct {
	Device      string  `json:"device"`
	Method      string  `json:"method"`
	URL         string  `json:"url"`
	IfMatch     *string `json:"if_match"`
	IfNoneMatch *string `json:"if_none_match"`
	Status      int     `json:"status"`
	ContentType *string `json:"content_type"`
	ETag        *string `json:"etag"`
}

type jssdkResult struct {
	OK            bool              `json:"ok"`
	Error         string            `json:"error"`
	RendezvousURL string            `json:"rendezvous_url"`
	QRMode        string            `json:"qr_mode"`
	QRURLMatches  bool              `json:"qr_url_matches"`
	CheckCodeG    *string           `json:"check_code_g"`
	CheckCodeS    *string           `json:"check_code_s"`
	ReceivedByG   map[string]any    `json:"received_by_g"`
	ReceivedByS   map[string]any    `json:"received_by_s"`
	SessionGone   bool              `json:"session_gone_after_close"`
	Failures      []json.RawMessage `json:"failures"`
	Requests      []jssdkRequest    `json:"requests"`
}

// TestJSSDKFlow2024 runs both js-sdk devices of a 2024 flow against the
// server of msc4108-2024: create (through /versions discovery), scan,
// connect, matching check codes, a message each way, close.
func TestJSSDKFlow2024(t *testing.T) {
	node := ensureJSSDK(t)
	srv, trace := startServe(t, "msc4108-2024")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.mjs", "--homeserver", srv.BaseURL(), "--timeout-ms", "25000")
	cmd.Dir = jssdkDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("node flow.mjs ran %v", time.Since(start).Round(time.Millisecond))
	var line string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("node flow.mjs printed no RESULT line (exit: %v)\nstdout:\n%s\nstderr:\n%s", err, lastLines(stdout.Bytes(), 20), lastLines(stderr.Bytes(), 40))
	}
	var r jssdkResult
	if jerr := json.Unmarshal([]byte(line), &r); jerr != nil {
		t.Fatalf("RESULT line %q: %v", line, jerr)
	}
	if err != nil || r.Error != "" {
		t.Fatalf("node flow.mjs: exit %v, error %s\nstderr:\n%s\nrequests: %+v\nserver trace:\n%s", err, r.Error,
			lastLines(stderr.Bytes(), 40), r.Requests, lastLines([]byte(trace.String()), 40))
	}

	// The flow itself.
	if r.CheckCodeG == nil || r.CheckCodeS == nil || *r.CheckCodeG != *r.CheckCodeS || len(*r.CheckCodeG) != 2 {
		t.Errorf("check codes: G %v, S %v; want the same two digits", deref(r.CheckCodeG), deref(r.CheckCodeS))
	}
	if r.QRMode != "login" || !r.QRURLMatches {
		t.Errorf("QR: mode %q, URL matches %v; want login and the session URL", r.QRMode, r.QRURLMatches)
	}
	if r.ReceivedByG["type"] != "m.login.protocols" || r.ReceivedByS["type"] != "m.login.protocol" {
		t.Errorf("messages: G received %v, S received %v", r.ReceivedByG, r.ReceivedByS)
	}
	if len(r.Failures) > 0 {
		t.Errorf("the js-sdk reported failures: %s", r.Failures)
	}
	if !r.SessionGone {
		t.Errorf("the session still answers after G closed it")
	}
	if !r.OK {
		t.Errorf("flow.mjs says the flow did not succeed: %s", line)
	}

	// What the js-sdk saw on the wire, against what the notes say it needs.
	var created, putS, putG, sawEmpty bool
	for _, q := range r.Requests {
		switch {
		case q.Method == "POST":
			created = true
			if !strings.HasSuffix(strings.TrimSuffix(q.URL, "/"), "/_matrix/client/unstable/org.matrix.msc4108/rendezvous") || q.Status != 201 {
				t.Errorf("create: %s %s -> %d; want 201 on the unstable 2024 path found through /versions", q.Method, q.URL, q.Status)
			}
		case q.Method == "GET" && strings.HasPrefix(q.URL, r.RendezvousURL) && q.Status == 200:
			if q.ContentType == nil || *q.ContentType != "text/plain" {
				t.Errorf("%s GET -> 200 with Content-Type %v; the js-sdk needs exactly text/plain", q.Device, deref(q.ContentType))
			}
			if q.ETag == nil || *q.ETag == "" {
				t.Errorf("%s GET -> 200 without ETag; the js-sdk cancels on that", q.Device)
			}
			if q.Device == "S" && q.IfNoneMatch == nil {
				sawEmpty = true
			}
		case q.Method == "PUT":
			if q.Status != 202 {
				t.Errorf("%s PUT If-Match %v -> %d; want 202 (the js-sdk ignores a 412 and loses the message)", q.Device, deref(q.IfMatch), q.Status)
			}
			if q.Device == "S" {
				putS = true
			} else {
				putG = true
			}
		}
	}
	if !created || !putS || !putG || !sawEmpty {
		t.Errorf("requests: create %v, S wrote %v, G wrote %v, S's first plain GET answered 200 %v; want all", created, putS, putG, sawEmpty)
	}
	// The server logged the exchanges as trace events.
	for _, want := range []string{`"kind":"recv"`, "created ", "written ", "deleted "} {
		if !strings.Contains(trace.String(), want) {
			t.Errorf("the server trace lacks %q:\n%s", want, lastLines([]byte(trace.String()), 20))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return strconv.Quote(*s)
}
