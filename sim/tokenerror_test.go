package sim

import (
	"strings"
	"testing"

	"qrlab/model/variant"
)

// TestTokenErrorInSim: after the spent code's invalid_grant
// (token_answer_breaks 1), a new device with flow.token_error "silent"
// (the Rust SDK) sends nothing and deletes nothing, so the existing device
// polls on until its session expires (Synapse's MSC4108 sessions: 60 s from
// creation) and ends rendezvous_expired; with "delete-session" the new
// device deletes the session and the existing device ends at its next
// poll. Every monitor holds in both (peer-failure-ends,
// failure-has-an-outside-cause, termination among them).
func TestTokenErrorInSim(t *testing.T) {
	for _, tc := range []struct {
		knob    string
		deletes bool
	}{{variant.TokenErrorSilent, false}, {variant.TokenErrorDeleteSession, true}} {
		cfg := tcpConfig(t, "4g", nil)
		cfg.Variant = variant.MustLoad("rust-sdk-main")
		cfg.Variant.Flow.TokenError = tc.knob
		// The preset deletes no session at all (flow.session_delete
		// "never"); on-end lets token_error alone decide here.
		cfg.Variant.Flow.SessionDelete = variant.SessionDeleteOnEnd
		cfg.Network.Connections.TokenAnswerBreaks = 1
		r := mustRunner(t, cfg)
		res, err := r.Run(3)
		if err != nil {
			t.Fatal(err)
		}
		if res.Violation != nil {
			t.Fatalf("%s: %v", tc.knob, res.Violation)
		}
		if res.New.Reason != "http_error" || res.Existing.Reason != "rendezvous_expired" {
			t.Fatalf("%s: N %s, E %s; want http_error and rendezvous_expired", tc.knob, res.New.Outcome, res.Existing.Outcome)
		}
		var created Millis = -1
		deleted := false
		for _, e := range r.Trace().Events {
			if e.Kind == EvSend && strings.HasPrefix(e.Name, "POST ") && strings.Contains(e.Name, "rendezvous") && created < 0 {
				created = e.At
			}
			if e.Kind == EvSend && e.Actor == ActorNew && strings.HasPrefix(e.Name, "DELETE ") {
				deleted = true
			}
		}
		if deleted != tc.deletes {
			t.Fatalf("%s: N deleted the session: %v, want %v", tc.knob, deleted, tc.deletes)
		}
		if created < 0 {
			t.Fatalf("%s: no session created in the trace", tc.knob)
		}
		gap := res.Existing.At - res.New.At
		switch {
		case tc.deletes && gap > 2000:
			t.Fatalf("%s: E ended %d ms after N, want within a poll", tc.knob, gap)
		case !tc.deletes && res.Existing.At < created+60_000:
			t.Fatalf("%s: E ended at %d ms, before the session created at %d ms expired", tc.knob, res.Existing.At, created)
		}
	}
}

// TestSessionDeleteInSim: the Rust SDK presets (flow.session_delete
// "never") send no DELETE for the rendezvous session, on success either,
// so the session stays on the server until it expires; with "on-end" the
// same runs delete it. Judged from the trace's requests; every monitor
// holds in both.
func TestSessionDeleteInSim(t *testing.T) {
	for _, preset := range []string{"rust-sdk-main", "rust-sdk-pr6173"} {
		for _, val := range []string{variant.SessionDeleteNever, variant.SessionDeleteOnEnd} {
			cfg := tcpConfig(t, "4g", nil)
			cfg.Variant = variant.MustLoad(preset)
			cfg.Variant.Flow.SessionDelete = val
			r := mustRunner(t, cfg)
			res, err := r.Run(0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Violation != nil || !res.New.Success || !res.Existing.Success {
				t.Fatalf("%s/%s: N %s, E %s, violation %v", preset, val, res.New.Outcome, res.Existing.Outcome, res.Violation)
			}
			deleted := false
			for _, e := range r.Trace().Events {
				if e.Kind == EvSend && (e.Actor == ActorNew || e.Actor == ActorExisting) && strings.HasPrefix(e.Name, "DELETE ") {
					deleted = true
				}
			}
			if deleted != (val == variant.SessionDeleteOnEnd) {
				t.Fatalf("%s/%s: a device sent DELETE: %v", preset, val, deleted)
			}
		}
	}
}
