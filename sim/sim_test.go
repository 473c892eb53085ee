package sim

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
)

func mustRunner(t testing.TB, cfg Config) *Runner {
	t.Helper()
	r, err := NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEveryPresetSignsIn runs every preset in both QR directions on a clean
// LAN: both devices must succeed with no invariant broken.
func TestEveryPresetSignsIn(t *testing.T) {
	lan, _ := Profile("lan")
	for _, name := range variant.Names() {
		for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
			t.Run(name+"/"+intent.String(), func(t *testing.T) {
				r := mustRunner(t, Config{Variant: variant.MustLoad(name), Intent: intent, Network: lan, KeepTrace: true})
				res, err := r.Run(1)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Success() || res.Violation != nil {
					t.Fatalf("result %+v\n%s", res, dump(r))
				}
			})
		}
	}
}

// dump renders the runner's kept trace.
func dump(r *Runner) string {
	var b strings.Builder
	WriteText(&b, r.Trace().Events)
	return b.String()
}

// TestDeterministic runs seeds twice on every profile of both transports
// and in swarm mode: the traces must be identical event for event and hash
// for hash, and different seeds must give different traces.
func TestDeterministic(t *testing.T) {
	v := variant.MustLoad("msc4388")
	for _, name := range ProfileNames() {
		for _, mode := range []string{TransportTCP, TransportDatagram, "swarm"} {
			kind, swarm := mode, mode == "swarm"
			if swarm {
				kind = TransportDatagram
			}
			net, err := ProfileFor(kind, name)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Variant: v, Network: net, KeepTrace: true, Transport: Transport{Kind: kind}}
			if swarm {
				s := DefaultSwarm()
				cfg.Swarm = &s
			}
			a, b := mustRunner(t, cfg), mustRunner(t, cfg)
			seen := map[string]uint64{}
			for seed := uint64(1); seed <= 4; seed++ {
				ra, _ := a.Run(seed)
				ta := dump(a)
				b.Run(seed + 100) // the second runner's buffers hold another run first
				rb, _ := b.Run(seed)
				tb := dump(b)
				if ra.TraceHash != rb.TraceHash || ta != tb {
					t.Fatalf("%s %s seed %d: two runs differ\n%s\n---\n%s", name, mode, seed, ta, tb)
				}
				if s, dup := seen[ra.TraceHash]; dup {
					t.Fatalf("%s: seeds %d and %d gave the same trace", name, s, seed)
				}
				seen[ra.TraceHash] = seed
			}
		}
	}
}

// TestProfilesAndSwarm runs seeds on every profile and in swarm mode for
// every preset: no invariant may break, and every run must end.
func TestProfilesAndSwarm(t *testing.T) {
	runs := 10
	if testing.Short() {
		runs = 3
	}
	for _, vn := range variant.Names() {
		for _, pn := range ProfileNames() {
			net, _ := Profile(pn)
			for _, swarm := range []bool{false, true} {
				cfg := Config{Variant: variant.MustLoad(vn), Network: net}
				if swarm {
					s := DefaultSwarm()
					cfg.Swarm = &s
				}
				r := mustRunner(t, cfg)
				ok := 0
				for seed := uint64(0); seed < uint64(runs); seed++ {
					res := runClean(t, r, seed, fmt.Sprintf("%s on %s (swarm %v)", vn, pn, swarm))
					if res.Success() {
						ok++
					}
				}
				t.Logf("%-18s %-10s swarm=%-5v %d/%d signed in", vn, pn, swarm, ok, runs)
			}
		}
	}
}

// TestMemoryFlat: a run keeps nothing once it is over, so the heap after
// many runs is the heap after a few (the runner's reused buffers aside).
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 1,200 logins")
	}
	r := mustRunner(t, Config{Variant: variant.MustLoad("msc4388")})
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for i := range 200 {
		r.Run(uint64(i))
	}
	before := heap()
	for i := range 1000 {
		r.Run(uint64(200 + i))
	}
	after := heap()
	t.Logf("heap %d bytes after 200 runs, %d after 1,200", before, after)
	if after > before+128<<10 {
		t.Fatalf("heap grew from %d to %d bytes over 1,000 runs", before, after)
	}
}

// TestSwarmBoundsCapped: bounds that would stall a run are refused.
func TestSwarmBoundsCapped(t *testing.T) {
	for _, s := range []Swarm{
		{MaxPartitions: 100000000, FaultyMillis: 60000, LivenessMillis: 60000},
		{FaultyMillis: 1 << 50, LivenessMillis: 60000},
		{FaultyMillis: 60000, LivenessMillis: -1},
	} {
		if _, err := NewRunner(Config{Variant: variant.MustLoad("msc4388"), Swarm: &s}); err == nil {
			t.Errorf("swarm %+v accepted", s)
		}
	}
}

// runClean runs seed on r and fails the test on an error or a violation,
// showing the run's whole trace (run again with KeepTrace).
func runClean(t *testing.T, r *Runner, seed uint64, what string) Result {
	t.Helper()
	res, err := r.Run(seed)
	if err != nil {
		t.Fatal(err)
	}
	if res.Violation != nil {
		cfg := r.Config()
		cfg.KeepTrace = true
		rr := mustRunner(t, cfg)
		rr.Run(seed)
		t.Fatalf("%s: %v\n%s", what, res.Violation, dump(rr))
	}
	return res
}
