package calibrate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"qrlab/lab/live"
	"qrlab/model/login"
)

// TestRealRequestTimeout: the real-stack harness gives a request the
// deadline its policy names. With NoTimeout (-1) a request the server
// answers only after the client has been waiting is answered (under the
// earlier reading, a timeout of 0 or less became 30 s, or with a zero
// deadline failed at once); with a positive timeout a server that never
// answers ends it with a deadline error. No wall-clock figure is asserted:
// the server is released by the test, not by a timer.
func TestRealRequestTimeout(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
			w.WriteHeader(204)
		case <-req.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &realLogin{ctx: ctx}

	none, err := live.ClientTimeout(login.NoTimeout)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var resp login.Response
	go func() {
		var err error
		resp, err = r.do(srv.Client(), "GET", srv.URL, nil, nil, none)
		done <- err
	}()
	<-arrived
	release <- struct{}{}
	if err := <-done; err != nil || resp.Status != 204 {
		t.Fatalf("no timeout: status %d, %v; want the 204 the server sent when released", resp.Status, err)
	}

	short, err := live.ClientTimeout(20)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.do(srv.Client(), "GET", srv.URL, nil, nil, short)
	<-arrived
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout 20 ms against a server that does not answer: %v, want the deadline", err)
	}
}
