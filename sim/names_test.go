package sim

import (
	"strconv"
	"testing"

	"qrlab/model/login"
)

// TestNameCache: the kept names are the concatenations, asked once or
// again, and what is kept stays within its bounds.
func TestNameCache(t *testing.T) {
	var n nameCache
	for i := 0; i < 3; i++ {
		if got, want := n.state(login.StateIdle, login.StateCreating), login.StateIdle.String()+" -> "+login.StateCreating.String(); got != want {
			t.Fatalf("state: %q, want %q", got, want)
		}
		if got := n.channel(true, "m.login.success"); got != "sealed m.login.success" {
			t.Fatalf("channel: %q", got)
		}
		if got := n.channel(false, "m.login.success"); got != "opened m.login.success" {
			t.Fatalf("channel: %q", got)
		}
		if got := n.request("GET", "/a"); got != "GET /a" {
			t.Fatalf("request: %q", got)
		}
		if got := n.request("PUT", "/a"); got != "PUT /a" {
			t.Fatalf("request: %q", got)
		}
	}
	for i := 0; i < 1000; i++ {
		s := strconv.Itoa(i)
		if got := n.channel(i%2 == 0, s); got != map[bool]string{true: "sealed ", false: "opened "}[i%2 == 0]+s {
			t.Fatalf("channel %d: %q", i, got)
		}
		if got := n.request("GET", "/"+s); got != "GET /"+s {
			t.Fatalf("request %d: %q", i, got)
		}
	}
	if len(n.opened) > maxChannelNames || len(n.sealed) > maxChannelNames || len(n.reqs) > maxReqNames {
		t.Fatalf("kept %d, %d channel names and %d requests", len(n.opened), len(n.sealed), len(n.reqs))
	}
	n.newRun()
	if len(n.reqs) != 0 {
		t.Fatalf("a new run kept %d requests", len(n.reqs))
	}
}
