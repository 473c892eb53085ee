package main

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"qrlab/lab/live"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// TestServeEveryPreset: `simrun serve --variant NAME` starts for every
// built-in preset, serves that preset's rendezvous store, answers
// /versions, and creates a session on the flavour's unstable path.
func TestServeEveryPreset(t *testing.T) {
	names := variant.Names()
	if len(names) == 0 {
		t.Fatal("variant.Names() lists no preset")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v, err := variant.Load(name)
			if err != nil {
				t.Fatalf("load %s: %v", name, err)
			}
			wantCfg, err := v.RendezvousConfig()
			if err != nil {
				t.Fatalf("%s: rendezvous config: %v", name, err)
			}
			srv, _ := startServe(t, "--variant", name, "--log", "off")
			got := srv.RendezvousConfig()
			if got.Name != wantCfg.Name || got.Flavour != wantCfg.Flavour || got.Idempotency != wantCfg.Idempotency ||
				got.Token != wantCfg.Token {
				t.Errorf("%s: serves store %s (%v, token %v, idempotency %v), want %s (%v, token %v, idempotency %v)",
					name, got.Name, got.Flavour, got.Token, got.Idempotency,
					wantCfg.Name, wantCfg.Flavour, wantCfg.Token, wantCfg.Idempotency)
			}
			c := &http.Client{Timeout: 10 * time.Second}
			resp, err := c.Get(srv.BaseURL() + "/_matrix/client/versions")
			if err != nil {
				t.Fatalf("%s: /versions: %v", name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s: /versions answered %d", name, resp.StatusCode)
			}
			body, ctype, status := []byte(`{"data":""}`), "application/json", 200
			if got.Flavour == rendezvous.FlavourETag {
				body, ctype, status = []byte("x"), "text/plain", 201
			}
			url := srv.BaseURL() + live.UnstablePrefix(got.Flavour)
			resp, err = c.Post(url, ctype, bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: create: %v", name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != status {
				t.Errorf("%s: create at %s answered %d, want %d", name, url, resp.StatusCode, status)
			}
		})
	}
}
