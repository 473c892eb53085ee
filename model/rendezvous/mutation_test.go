package rendezvous

import "testing"

// TestMutationIgnoreToken: with IgnoreToken a PUT on a stale ETag or
// sequence token overwrites the session; the honest store refuses it.
func TestMutationIgnoreToken(t *testing.T) {
	for _, preset := range []string{PresetNameETag, PresetNameSequenceToken} {
		for _, ignore := range []bool{false, true} {
			cfg, err := Preset(preset)
			if err != nil {
				t.Fatal(err)
			}
			cfg.IgnoreToken = ignore
			c := newClient(t, cfg)
			r := c.create("")
			first := c.put(r.id, r.token, "one")
			if first.status != c.okPut() {
				t.Fatalf("%s ignore=%v: first PUT %d", preset, ignore, first.status)
			}
			stale := c.put(r.id, r.token, "two") // the token before "one"
			if accepted := stale.status == c.okPut(); accepted != ignore {
				t.Fatalf("%s ignore=%v: stale PUT answered %d", preset, ignore, stale.status)
			}
			want := "one"
			if ignore {
				want = "two"
			}
			if got := c.get(r.id); got.data != want {
				t.Fatalf("%s ignore=%v: session holds %q, want %q", preset, ignore, got.data, want)
			}
		}
	}
}

// TestMutationNoExpiry: with NoExpiry a session outlives its TTL and the
// sweep; the honest store answers 404.
func TestMutationNoExpiry(t *testing.T) {
	for _, preset := range []string{PresetNameETag, PresetNameSequenceToken} {
		for _, never := range []bool{false, true} {
			cfg, err := Preset(preset)
			if err != nil {
				t.Fatal(err)
			}
			cfg.NoExpiry = never
			c := newClient(t, cfg)
			r := c.create("")
			c.advance(cfg.TTL + 10*cfg.SweepInterval)
			c.s.Sweep(c.now)
			if alive := c.get(r.id).status == 200; alive != never {
				t.Fatalf("%s never=%v: alive after the TTL %v", preset, never, alive)
			}
		}
	}
}
