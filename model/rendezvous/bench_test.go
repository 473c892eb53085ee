package rendezvous

import (
	"strconv"
	"testing"

	"qrlab/model/wire"
)

// cycle is one session's life as a client drives it: create, write, read,
// read again (conditional where the flavour has it), delete. Requests that
// do not depend on the session are built once.
type cycle struct {
	cfg     Config
	s       *Store
	now     Millis
	fx      []Effect
	create  Request
	putBody []byte
	pathBuf []byte
}

func newCycle(tb testing.TB, cfg Config) *cycle {
	s, err := New(cfg, t0, nil)
	if err != nil {
		tb.Fatal(err)
	}
	c := &cycle{cfg: cfg, s: s, now: t0, fx: make([]Effect, 0, 8)}
	payload := "MATRIX_QR_CODE_LOGIN_INITIATE|0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	if cfg.Flavour == FlavourETag {
		c.create = Request{Method: "POST", Path: cfg.Prefixes[0], Body: []byte(payload),
			Header: Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: strconv.Itoa(len(payload))}}}
	} else {
		c.create = Request{Method: "POST", Path: cfg.Prefixes[0], Body: []byte(`{"data":"` + payload + `"}`),
			Header: Header{{Name: "Content-Type", Value: "application/json"}}}
	}
	return c
}

// run performs one cycle and returns the statuses' sum (so the compiler
// keeps everything).
func (c *cycle) run(tb testing.TB) int {
	c.now += 10
	resp, fx := c.s.HandleAppend(c.now, &c.create, c.fx[:0])
	c.fx = fx
	sum := resp.Status
	var id, token string
	if c.cfg.Flavour == FlavourETag {
		id, token = c.s.tail.id, resp.Header.Get("ETag")
	} else {
		id, token = c.s.tail.id, c.s.tail.token
	}
	c.pathBuf = append(c.pathBuf[:0], c.s.sessionPrefixFor(c.cfg)...)
	c.pathBuf = append(c.pathBuf, '/')
	c.pathBuf = append(c.pathBuf, id...)
	path := string(c.pathBuf)

	var put Request
	if c.cfg.Flavour == FlavourETag {
		put = Request{Method: "PUT", Path: path, Body: c.create.Body,
			Header: Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: c.create.Header[1].Value}, {Name: "If-Match", Value: token}}}
	} else {
		c.putBody = append(c.putBody[:0], `{"sequence_token":`...)
		c.putBody = wire.AppendString(c.putBody, token)
		c.putBody = append(c.putBody, `,"data":"MATRIX_QR_CODE_LOGIN_OK|0123456789abcdefghijklmnopqrstuvwxyz"}`...)
		put = Request{Method: "PUT", Path: path, Body: c.putBody}
	}
	resp, c.fx = c.s.HandleAppend(c.now, &put, c.fx[:0])
	sum += resp.Status
	get := Request{Method: "GET", Path: path}
	resp, c.fx = c.s.HandleAppend(c.now, &get, c.fx[:0])
	sum += resp.Status
	if c.cfg.Flavour == FlavourETag {
		get.Header = Header{{Name: "If-None-Match", Value: resp.Header.Get("ETag")}}
	}
	resp, c.fx = c.s.HandleAppend(c.now, &get, c.fx[:0])
	sum += resp.Status
	del := Request{Method: "DELETE", Path: path}
	resp, c.fx = c.s.HandleAppend(c.now, &del, c.fx[:0])
	sum += resp.Status
	return sum
}

// sessionPrefixFor is the path sessions live under.
func (s *Store) sessionPrefixFor(cfg Config) string {
	if cfg.Flavour == FlavourETag {
		return s.sessionPrefix
	}
	return cfg.Prefixes[0]
}

// BenchmarkStore measures one create/put/get/get(-304)/delete cycle per
// operation (five requests), per flavour and for the Synapse-like presets.
func BenchmarkStore(b *testing.B) {
	for _, name := range []string{
		PresetNameETag, PresetNameSequenceToken2025, PresetNameSequenceToken,
		PresetNameETagSynapse, PresetNameSequenceToken2025Synapse,
	} {
		cfg, _ := Preset(name)
		b.Run(name, func(b *testing.B) {
			c := newCycle(b, cfg)
			want := c.run(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if got := c.run(b); got != want {
					b.Fatalf("cycle statuses sum %d, want %d", got, want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/5, "ns/request")
		})
	}
}

// BenchmarkPoll measures the simulator's commonest request: a GET of an
// unchanged session (a 304 in the etag flavour).
func BenchmarkPoll(b *testing.B) {
	for _, name := range []string{PresetNameETag, PresetNameSequenceToken2025, PresetNameSequenceToken} {
		cfg, _ := Preset(name)
		b.Run(name, func(b *testing.B) {
			c := newCycle(b, cfg)
			resp, _ := c.s.Handle(t0, &c.create)
			get := Request{Method: "GET", Path: c.s.sessionPrefixFor(cfg) + "/" + c.s.tail.id}
			if cfg.Flavour == FlavourETag {
				get.Header = Header{{Name: "If-None-Match", Value: resp.Header.Get("ETag")}}
			}
			fx := make([]Effect, 0, 4)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, fx = c.s.HandleAppend(t0, &get, fx[:0])
				if resp.Status >= 400 {
					b.Fatal(resp.Status)
				}
			}
		})
	}
}

// TestAllocsPerRequest bounds the allocations of each request kind, so the
// store stays cheap enough for millions of simulated requests.
func TestAllocsPerRequest(t *testing.T) {
	for _, name := range []string{PresetNameETag, PresetNameSequenceToken2025, PresetNameSequenceToken} {
		cfg, _ := Preset(name)
		c := newCycle(t, cfg)
		allocs := testing.AllocsPerRun(200, func() { c.run(t) })
		// Five requests plus the cycle's own path string.
		if allocs > 30 {
			t.Errorf("%s: %.1f allocations per cycle", name, allocs)
		}
		t.Logf("%s: %.1f allocations per five-request cycle", name, allocs)
	}
}
