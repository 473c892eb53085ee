package scenarios

import (
	"strings"
	"testing"

	"qrlab/sim"
)

// runPoint runs seeds of one grid point of a built-in scenario (the
// first point when axes are not fixed) and returns the results.
func runPoint(t *testing.T, name string, set map[string]string, seeds int) []sim.Result {
	t.Helper()
	sc, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := sc.Points()
	if err != nil {
		t.Fatal(err)
	}
	var out []sim.Result
	for _, p := range pts {
		ok := true
		for path, v := range set {
			ok = ok && string(p.Axes(sc.Sweep)[path]) == v
		}
		if !ok {
			continue
		}
		cfg, err := p.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		r, err := sim.NewRunner(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for s := range seeds {
			res, err := r.Run(uint64(s) + 1)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res)
		}
		return out
	}
	t.Fatalf("%s has no point %v", name, set)
	return nil
}

// TestRootCauseMixedClients checks that mixed-clients' failures carry
// their real cause, the 404 the new device gets to its create request on
// the rendezvous path, and not the reason the device ends with.
func TestRootCauseMixedClients(t *testing.T) {
	for _, res := range runPoint(t, "mixed-clients", nil, 5) {
		if res.Success() {
			t.Fatalf("seed %d signed in; this test expects the mixed clients to fail", res.Seed)
		}
		if !strings.HasPrefix(res.RootCause, "HTTP 404 to POST ") || !strings.Contains(res.RootCause, "/rendezvous") {
			t.Errorf("seed %d: root cause %q (reason %q), want the 404 to the create POST", res.Seed, res.RootCause, res.New.Reason)
		}
	}
}

// TestRootCauseBrowserFailure checks that a login lost because the
// browser could not open names that injected fault, and that a successful
// login has no root cause.
func TestRootCauseBrowserFailure(t *testing.T) {
	found := false
	for _, res := range runPoint(t, "ack-ordering", map[string]string{"variant.flow.ack": `"before-browser"`}, 60) {
		switch {
		case res.Success() && res.RootCause != "":
			t.Errorf("seed %d signed in but has root cause %q", res.Seed, res.RootCause)
		case !res.Success() && strings.Contains(res.RootCause, "cannot open the verification URI"):
			found = true
		}
	}
	if !found {
		t.Error("no failed run of 60 names the browser failure as its root cause")
	}
}

// TestRootCauseLostDeviceLookup checks that a login the existing device
// ends with device_not_found because its last look for the new device was
// lost (the earlier whole-message loss model) names that timeout, and
// that no failed run of the point is left without a root cause.
func TestRootCauseLostDeviceLookup(t *testing.T) {
	found := false
	for _, res := range runPoint(t, "generations", map[string]string{"variant": `"msc4108-2024"`, "transport": `"datagram"`}, 80) {
		if res.Success() {
			continue
		}
		if res.RootCause == "" {
			t.Errorf("seed %d failed (%s / %s) with no root cause", res.Seed, res.New.Reason, res.Existing.Reason)
		}
		if res.Existing.Reason == "device_not_found" && strings.HasPrefix(res.RootCause, "timeout of GET /_matrix/client/v3/devices/") {
			found = true
		}
	}
	if !found {
		t.Error("no device_not_found of 80 seeds names the lost device lookup as its root cause")
	}
}

// TestRootCausePendingGrant403 checks that MAS's 403 answers to the
// device grant's pending polls (msc4108-2025's provider) are not taken
// for the fault that ended a login.
func TestRootCausePendingGrant403(t *testing.T) {
	for _, res := range runPoint(t, "generations", map[string]string{"variant": `"msc4108-2025"`, "transport": `"datagram"`}, 80) {
		if strings.HasPrefix(res.RootCause, "HTTP 403 to POST ") && strings.HasSuffix(res.RootCause, "/token (N)") {
			t.Errorf("seed %d: root cause %q, a pending grant's answer", res.Seed, res.RootCause)
		}
	}
}
