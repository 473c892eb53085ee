package sim

import "testing"

// TestFaultOf checks which events are a run's root cause and how they
// are named: errors and failures met by a device or the browser, not
// expected answers, not servers' or attackers' events.
func TestFaultOf(t *testing.T) {
	const rz = "/_matrix/client/v1/rendezvous"
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: EvRecv, Actor: ActorNew, Name: "POST " + rz, Status: 404}, "HTTP 404 to POST " + rz + " (N)"},
		{Event{Kind: EvRecv, Actor: ActorExisting, Name: "GET " + rz + "/x", Detail: "timeout"}, "timeout of GET " + rz + "/x (E)"},
		{Event{Kind: EvRecv, Actor: ActorNew, Name: "PUT " + rz + "/x", Detail: "transport error: connection reset"}, "connection reset on PUT " + rz + "/x (N)"},
		{Event{Kind: EvUser, Actor: ActorBrowser, Peer: ActorExisting, Name: "cannot open the verification URI"}, "Browser cannot open the verification URI (E)"},
		{Event{Kind: EvUser, Actor: ActorUser, Peer: ActorNew, Name: "cancels"}, "User cancels (N)"},
		{Event{Kind: EvRecv, Actor: ActorNew, Name: "POST " + rz, Status: 201}, ""},
		{Event{Kind: EvRecv, Actor: ActorHomeserver, Name: "POST " + rz, Status: 404}, ""},
		{Event{Kind: EvRecv, Actor: ActorAttacker, Name: "GET " + rz + "/x", Status: 404}, ""},
		{Event{Kind: EvRecv, Actor: ActorNew, Name: "GET /_matrix/client/v1/auth_metadata", Status: 404}, ""},
		{Event{Kind: EvRecv, Actor: ActorExisting, Name: "GET /_matrix/client/v3/devices/ABC", Status: 404}, ""},
		{Event{Kind: EvRecv, Actor: ActorNew, Name: "POST /oauth2/token", Status: 400}, ""},
		{Event{Kind: EvRecv, Actor: ActorNew, Name: "POST /oauth2/token", Status: 500}, "HTTP 500 to POST /oauth2/token (N)"},
		{Event{Kind: EvUser, Actor: ActorUser, Peer: ActorNew, Name: "scans the QR code"}, ""},
		{Event{Kind: EvOutcome, Actor: ActorExisting, Name: "failure channel_integrity", Detail: "LoginOk: channel: open payload 1: message authentication failed"},
			"channel_integrity: LoginOk: channel: open payload 1: message authentication failed (E)"},
		{Event{Kind: EvOutcome, Actor: ActorNew, Name: "failure invalid_qr", Detail: `qr: unknown prefix "MATRIX\x03\x00a" (msc4388 starts with "MATRIX")`},
			`invalid_qr: qr: unknown prefix "…" (msc4388 starts with "MATRIX") (N)`},
		{Event{Kind: EvOutcome, Actor: ActorNew, Name: "failure rendezvous_expired", Detail: "GET " + rz + "/x: 404"}, ""},
		{Event{Kind: EvOutcome, Actor: ActorAttacker, Name: "failure channel_integrity", Detail: "x"}, ""},
	} {
		if got := faultOf(&c.e); got != c.want {
			t.Errorf("faultOf(%+v) = %q, want %q", c.e, got, c.want)
		}
	}
}
