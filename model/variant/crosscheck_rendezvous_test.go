package variant

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"qrlab/model/rendezvous"
	"qrlab/model/wire"
)

// rvClient drives one store with raw requests, at a clock set by hand.
type rvClient struct {
	t   *testing.T
	s   *rendezvous.Store
	now rendezvous.Millis
}

func newRVClient(t *testing.T, preset string) *rvClient {
	cfg, err := rendezvous.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rendezvous.New(cfg, 1_000_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &rvClient{t: t, s: s, now: 1_000_000}
}

func (c *rvClient) do(method, path string, h rendezvous.Header, body []byte) rendezvous.Response {
	resp, _ := c.s.Handle(c.now, &rendezvous.Request{Method: method, Path: path, Header: h, Body: body, Auth: rendezvous.AuthValid})
	return resp
}

func (c *rvClient) json(method, path string, body any) (int, map[string]any) {
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body == nil {
		b = nil
	}
	resp := c.do(method, path, rendezvous.Header{{Name: "Content-Type", Value: "application/json"}}, b)
	var m map[string]any
	_ = json.Unmarshal(resp.Body, &m)
	return resp.Status, m
}

// TestTextRendezvousMatches726e115 drives the store preset the 2026 text
// presets cite (sequence-token) through what MSC4388 726e115 states: a
// create answers id, sequence_token and expires_in_ms; a stale PUT with
// byte-identical data is answered 200 with the current token and changes
// nothing; a stale PUT with other data is 409 M_CONCURRENT_WRITE (the
// unstable form on the unstable path); the discovery GET answers
// create_available; a navigation (Sec-Fetch-Mode: navigate) is 403; the
// session expires after its lifetime, which lies in 120-300 s.
func TestTextRendezvousMatches726e115(t *testing.T) {
	for _, n := range Names() {
		v := MustLoad(n)
		if v.Rendezvous.Preset != rendezvous.PresetNameSequenceToken {
			continue
		}
		cfg, _ := v.RendezvousConfig()
		if cfg.TTL < 120_000 || cfg.TTL > 300_000 {
			t.Errorf("%s: lifetime %d ms outside the text's 120-300 s", n, cfg.TTL)
		}
	}
	c := newRVClient(t, rendezvous.PresetNameSequenceToken)
	const prefix = rendezvous.StablePrefix
	st, m := c.json("POST", prefix, map[string]any{"data": "A"})
	id, _ := m["id"].(string)
	tok0, _ := m["sequence_token"].(string)
	if st != 200 || id == "" || tok0 == "" || m["expires_in_ms"] == nil {
		t.Fatalf("create: %d %v", st, m)
	}
	st, m = c.json("PUT", prefix+"/"+id, map[string]any{"sequence_token": tok0, "data": "B"})
	tok1, _ := m["sequence_token"].(string)
	if st != 200 || tok1 == "" || tok1 == tok0 {
		t.Fatalf("put: %d %v (the token must change on every write)", st, m)
	}
	if st, m = c.json("PUT", prefix+"/"+id, map[string]any{"sequence_token": tok0, "data": "B"}); st != 200 || m["sequence_token"] != tok1 {
		t.Errorf("stale put with identical data: %d %v, want 200 and the current token %s", st, m, tok1)
	}
	if st, m = c.json("PUT", prefix+"/"+id, map[string]any{"sequence_token": tok0, "data": "C"}); st != 409 || m["errcode"] != "M_CONCURRENT_WRITE" {
		t.Errorf("stale put with other data: %d %v, want 409 M_CONCURRENT_WRITE", st, m)
	}
	if st, m = c.json("PUT", rendezvous.UnstablePrefix2026+"/"+id, map[string]any{"sequence_token": tok0, "data": "C"}); st != 409 || m["errcode"] != "IO_ELEMENT_MSC4388_CONCURRENT_WRITE" {
		t.Errorf("stale put on the unstable path: %d %v, want 409 IO_ELEMENT_MSC4388_CONCURRENT_WRITE", st, m)
	}
	if st, m = c.json("GET", prefix, nil); st != 200 || m["create_available"] != true {
		t.Errorf("discovery: %d %v, want 200 create_available true", st, m)
	}
	nav := c.do("GET", prefix+"/"+id, rendezvous.Header{{Name: "Sec-Fetch-Mode", Value: "navigate"}}, nil)
	if nav.Status != 403 {
		t.Errorf("navigation: %d, want 403", nav.Status)
	}
	cfg := c.s.Config()
	c.now += cfg.TTL
	if st, _ = c.json("GET", prefix+"/"+id, nil); st != 404 {
		t.Errorf("GET after the lifetime: %d, want 404", st)
	}
}

// TestSynapseETagMatchesSource drives the store preset the 2024 presets
// cite (etag-synapse) through what Synapse 1.157.0's rust/src/rendezvous
// does: the ETag is the quoted unpadded base64url of SHA-256 of the body,
// so identical payloads get identical ETags.
func TestSynapseETagMatchesSource(t *testing.T) {
	c := newRVClient(t, rendezvous.PresetNameETagSynapse)
	body := []byte("hello")
	h := rendezvous.Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: "5"}}
	resp := c.do("POST", rendezvous.UnstablePrefix2024, h, body)
	sum := sha256.Sum256(body)
	want := `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
	if resp.Status != 201 || resp.Header.Get("ETag") != want {
		t.Fatalf("create: %d, ETag %q, want 201 and %s", resp.Status, resp.Header.Get("ETag"), want)
	}
	var m struct{ URL string }
	if err := json.Unmarshal(resp.Body, &m); err != nil || m.URL == "" {
		t.Fatalf("create body %q: %v", resp.Body, err)
	}
	put := append(h[:len(h):len(h)], rendezvous.Field{Name: "If-Match", Value: want})
	if r := c.do("PUT", wire.PathOf(m.URL), put, body); r.Status != 202 || r.Header.Get("ETag") != want {
		t.Errorf("rewrite of the same payload: %d, ETag %q; Synapse gives the same ETag %s", r.Status, r.Header.Get("ETag"), want)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store, no-transform" {
		t.Errorf("Cache-Control %q; Synapse sends no-store, no-transform", cc)
	}
}
