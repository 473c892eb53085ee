package sim

import "testing"

// TestCausesMended checks the root cause's choice: a poll that timed out
// and then went through is not the cause, the browser failing after it is;
// a timeout no retry mended stays the cause even when a final fault
// follows; a 404 is final at once; and a create that timed out and then
// got a 404 has the 404 as its cause.
func TestCausesMended(t *testing.T) {
	poll := "GET /_matrix/client/v1/rendezvous/x"
	timeout := Event{Kind: EvRecv, Actor: ActorNew, Name: poll, Detail: "timeout"}
	ok := Event{Kind: EvRecv, Actor: ActorNew, Name: poll, Status: 200}
	browser := Event{Kind: EvUser, Actor: ActorBrowser, Peer: ActorExisting, Name: "cannot open the verification URI"}
	notFound := Event{Kind: EvRecv, Actor: ActorNew, Name: "POST /_matrix/client/v1/rendezvous", Status: 404}
	createTimeout := Event{Kind: EvRecv, Actor: ActorNew, Name: "POST /_matrix/client/v1/rendezvous", Detail: "timeout"}
	for _, tc := range []struct {
		name   string
		events []Event
		want   string
	}{
		{"mended timeout, then the browser", []Event{timeout, ok, browser}, faultOf(&browser)},
		{"timeout mended after the browser failed", []Event{timeout, browser, ok}, faultOf(&browser)},
		{"timeout never mended", []Event{timeout, browser}, faultOf(&timeout)},
		{"404 first", []Event{notFound, timeout}, faultOf(&notFound)},
		{"create timed out, then 404", []Event{createTimeout, notFound}, faultOf(&notFound)},
		{"nothing", []Event{ok}, ""},
	} {
		var c causes
		c.reset()
		for i := range tc.events {
			c.see(&tc.events[i])
		}
		if got := c.first(); got != tc.want || got == "" && tc.want != "" {
			t.Errorf("%s: root cause %q, want %q", tc.name, got, tc.want)
		}
	}
	if faultOf(&browser) == "" || faultOf(&timeout) == "" {
		t.Fatal("the test's events are not faults")
	}
}
