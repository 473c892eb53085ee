package oauth

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Transcripts of the device grant: what the new device (N) and the user in
// the browser of the existing device (E) do at which virtual time, and what
// they must be answered. "{P}" stands for the preset's status of the
// polling errors (400 in RFC 8628, 403 in MAS).

type step struct {
	at   Millis
	act  string
	want string
}

func sec(f float64) Millis { return Millis(f * 1000) }

type transcript struct {
	name    string
	presets []string
	steps   []step
}

var transcripts = []transcript{
	{
		name:    "consent then token, then the code is spent",
		presets: []string{"rfc8628", "mas", "mas-2024", "msc4108-text"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(5), "N poll", "{P} authorization_pending"},
			{sec(10), "N poll", "{P} authorization_pending"},
			{sec(12), "E open", "consent"},
			{sec(13), "E allow", "approved"},
			{sec(15), "N poll", "200 token"},
			{sec(20), "N poll", "400 invalid_grant"},
			{sec(25), "N poll", "400 invalid_grant"},
		},
	},
	{
		name:    "slow_down raises the interval by 5 s each time (RFC 8628)",
		presets: []string{"rfc8628"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(5), "N poll", "{P} authorization_pending"},
			{sec(7), "N poll", "{P} slow_down"},              // 2 s < 5 s: interval now 10 s
			{sec(14), "N poll", "{P} slow_down"},             // 7 s < 10 s: interval now 15 s
			{sec(29), "N poll", "{P} authorization_pending"}, // 15 s: fast enough
			{sec(43.999), "N poll", "{P} slow_down"},         // 14.999 s: one millisecond short
			{sec(64), "N poll", "{P} authorization_pending"}, // 20.001 s after, interval 20 s
			{sec(65), "E open", "consent"},
			{sec(66), "E allow", "approved"},
			{sec(66.5), "N poll", "200 token"}, // slow_down only while pending
		},
	},
	{
		name:    "MAS never sends slow_down",
		presets: []string{"mas", "mas-2024"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(0.1), "N poll", "{P} authorization_pending"},
			{sec(0.2), "N poll", "{P} authorization_pending"},
			{sec(0.3), "N poll", "{P} authorization_pending"},
			{sec(1), "E open", "consent"},
			{sec(2), "E allow", "approved"},
			{sec(2.1), "N poll", "200 token"},
		},
	},
	{
		name:    "the user denies",
		presets: []string{"rfc8628", "mas"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(5), "N poll", "{P} authorization_pending"},
			{sec(8), "E open", "consent"},
			{sec(9), "E deny", "denied"},
			{sec(10), "N poll", "{P} access_denied"},
			{sec(15), "N poll", "{P} access_denied"},
			{sec(16), "E allow", "denied"}, // a resubmitted form changes nothing
			{sec(20), "N poll", "{P} access_denied"},
		},
	},
	{
		name:    "the MSC4108 text's refusal code",
		presets: []string{"msc4108-text"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(8), "E open", "consent"},
			{sec(9), "E deny", "denied"},
			{sec(10), "N poll", "{P} authorization_declined"},
		},
	},
	{
		name:    "nobody consents in time",
		presets: []string{"rfc8628", "mas"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(5), "N poll", "{P} authorization_pending"},
			{exp(0), "N poll", "{P} authorization_pending"}, // usable up to and including expiry
			{exp(1), "N poll", "{P} expired_token"},
			{exp(1), "E open", "error invalid"}, // the link no longer finds the code
			{exp(sec(5)), "N poll", "{P} expired_token"},
		},
	},
	{
		name:    "approved but never exchanged in time",
		presets: []string{"rfc8628", "mas"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(3), "E open", "consent"},
			{sec(4), "E allow", "approved"},
			{exp(1), "N poll", "{P} expired_token"},
		},
	},
	{
		name:    "the consent page is opened, then expiry passes before Allow",
		presets: []string{"rfc8628", "mas"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(3), "E open", "consent"},
			{exp(1), "E allow", "error expired"},
			{exp(2), "N poll", "{P} expired_token"},
		},
	},
	{
		name:    "a spent code answers expired_token once past its lifetime (MAS order of checks)",
		presets: []string{"rfc8628", "mas"},
		steps: []step{
			{0, "N authorize", "200"},
			{sec(3), "E open", "consent"},
			{sec(4), "E allow", "approved"},
			{sec(5), "N poll", "200 token"},
			{sec(6), "N poll", "400 invalid_grant"},
			{exp(1), "N poll", "{P} expired_token"},
		},
	},
}

// expBase marks times relative to the grant's expiry (the grant is made at
// 0, so it expires at the preset's ExpiresIn).
const expBase Millis = 1 << 40

// exp is a time d after the grant's expiry.
func exp(d Millis) Millis { return expBase + d }

func TestTranscripts(t *testing.T) {
	for _, tr := range transcripts {
		for _, name := range tr.presets {
			t.Run(name+"/"+tr.name, func(t *testing.T) {
				cfg, err := Preset(name)
				if err != nil {
					t.Fatal(err)
				}
				runTranscript(t, cfg, tr.steps)
			})
		}
	}
}

func runTranscript(t *testing.T, cfg Config, steps []step) {
	h := newHarness(t, cfg, 1)
	var da deviceAuth
	var consent Page
	var log strings.Builder
	for i, st := range steps {
		at := st.at
		if at >= expBase {
			at = cfg.ExpiresIn + at - expBase
		}
		var got string
		switch st.act {
		case "N authorize":
			var r Response
			r, da = h.authorize(at, testScope("NEWDEVICE01"))
			got = strconv.Itoa(r.Status)
		case "N poll":
			got = outcome(t, h.poll(at, da.DeviceCode))
		case "E open":
			consent = h.openVerification(at, da, alice)
			got = pageSummary(consent)
			if consent.Kind == PageConsent {
				checkConsentPage(t, cfg, consent, da)
			}
		case "E allow", "E deny":
			action := ActionConsent
			if st.act == "E deny" {
				action = ActionReject
			}
			got = pageSummary(h.decide(at, consent, action, alice))
		default:
			t.Fatalf("step %d: unknown act %q", i, st.act)
		}
		want := strings.ReplaceAll(st.want, "{P}", strconv.Itoa(cfg.PollErrorStatus))
		fmt.Fprintf(&log, "t=%8.3fs  %-12s -> %s\n", float64(at)/1000, st.act, got)
		if got != want {
			t.Fatalf("step %d: %s at %v ms: got %q, want %q\ntranscript so far:\n%s", i, st.act, at, got, want, log.String())
		}
	}
	t.Logf("transcript (%s):\n%s", cfg.Name, log.String())
}

func pageSummary(p Page) string {
	switch p.Kind {
	case PageConsent:
		return "consent"
	case PageApproved:
		return "approved"
	case PageDenied:
		return "denied"
	case PageEnterCode:
		if p.Error != "" {
			return "error " + p.Error
		}
		return "enter-code"
	case PageError:
		return "error " + p.Error
	}
	return p.Kind.String()
}

func checkConsentPage(t *testing.T, cfg Config, p Page, da deviceAuth) {
	t.Helper()
	if p.UserID != alice.UserID {
		t.Errorf("consent page shows user %q, want %q", p.UserID, alice.UserID)
	}
	if wantCode := cfg.ShowUserCode; (p.UserCode == da.UserCode) != wantCode || (!wantCode && p.UserCode != "") {
		t.Errorf("consent page shows user code %q (issued %q, ShowUserCode %v)", p.UserCode, da.UserCode, cfg.ShowUserCode)
	}
	if wantDev := cfg.ShowDevice; (p.DeviceID == "NEWDEVICE01") != wantDev || (!wantDev && p.DeviceID != "") {
		t.Errorf("consent page shows device %q (ShowDevice %v)", p.DeviceID, cfg.ShowDevice)
	}
}
