package sim

import (
	"fmt"
	"slices"
	"strings"
)

// User is the person holding both devices: how long each step takes and
// how often it goes wrong. Times are distributions in milliseconds; rates
// are probabilities per run.
type User struct {
	// Scan is the time from the QR code appearing to the other device
	// having scanned it.
	Scan Dist `json:"scan"`
	// TypeCode is the time to read the check code on one device and type
	// it on the other.
	TypeCode Dist `json:"type_code"`
	// TypoRate is the probability that the typed code is wrong.
	TypoRate float64 `json:"typo_rate,omitempty"`
	// Consent is the time from the browser opening to the user's decision
	// at the provider (typing the user code first if the link carries none).
	Consent Dist `json:"consent"`
	// DenyRate is the probability that the user refuses consent.
	DenyRate float64 `json:"deny_rate,omitempty"`
	// Confirm is the time to tell the existing device the browser step is
	// done (the after-confirm ack), and to confirm the account on the new
	// device.
	Confirm Dist `json:"confirm"`
	// BrowserOpen is the time the browser takes to come up.
	BrowserOpen Dist `json:"browser_open"`
	// BrowserFailRate is the probability that the browser cannot open the
	// verification URI.
	BrowserFailRate float64 `json:"browser_fail_rate,omitempty"`
	// RejectAccountRate is the probability that the user rejects the
	// account the new device shows (when the variant asks).
	RejectAccountRate float64 `json:"reject_account_rate,omitempty"`
	// BlindConfirmRate is the probability that the user types whatever
	// check code is put before them, an attacker's included (the
	// human-factor risk the shoulder-surfer measures).
	BlindConfirmRate float64 `json:"blind_confirm_rate,omitempty"`
	// CancelRate is the probability that the user cancels on one of the
	// devices (each equally likely) at a time drawn from CancelAt.
	CancelRate float64 `json:"cancel_rate,omitempty"`
	CancelAt   Dist    `json:"cancel_at"`
	// BrowserRetryMillis is how long the user waits on a page that does not
	// load before reloading it; BrowserRetries how many reloads before
	// giving up.
	BrowserRetryMillis int64 `json:"browser_retry_ms,omitempty"`
	BrowserRetries     int   `json:"browser_retries,omitempty"`
	// TypoAnyDigit: a typo (TypoRate) hits a digit drawn at random, the
	// first one included, instead of the last (false: the last).
	TypoAnyDigit bool `json:"typo_any_digit,omitempty"`
	// RefuseRate is the probability that the user refuses at the confirm
	// step RefuseAt names: "consent" (refuses on the provider's consent
	// page), "check-code" (cancels where the check code is asked for
	// instead of typing it), "browser-step" (tells the existing device the
	// browser step did not go through, or cancels on it where the design
	// asks nothing), "account" (rejects the account the new device asks
	// about), or "any" (one of them, drawn per run; also when empty).
	RefuseRate float64 `json:"refuse_rate,omitempty"`
	RefuseAt   string  `json:"refuse_at,omitempty"`
}

// The confirm steps a user can refuse at (User.RefuseAt).
const (
	RefuseConsent     = "consent"
	RefuseCheckCode   = "check-code"
	RefuseBrowserStep = "browser-step"
	RefuseAccount     = "account"
	RefuseAny         = "any"
)

var refuseSteps = []string{RefuseConsent, RefuseCheckCode, RefuseBrowserStep, RefuseAccount}

// DefaultUser is an attentive user: scanning takes a few seconds, typing
// the code about four, consenting about six; nothing goes wrong.
func DefaultUser() User {
	return User{
		Scan:               Dist{Kind: DistLogNormal, Median: 3000, Sigma: 0.35, Cap: 30000},
		TypeCode:           Dist{Kind: DistLogNormal, Median: 4000, Sigma: 0.3, Cap: 30000},
		Consent:            Dist{Kind: DistLogNormal, Median: 6000, Sigma: 0.4, Cap: 60000},
		Confirm:            Dist{Kind: DistLogNormal, Median: 1500, Sigma: 0.3, Cap: 20000},
		BrowserOpen:        Dist{Kind: DistLogNormal, Median: 400, Sigma: 0.3, Cap: 5000},
		CancelAt:           Uniform(0, 30000),
		BrowserRetryMillis: 15000,
		BrowserRetries:     3,
	}
}

// Validate checks the user's figures.
func (u *User) Validate() error {
	for _, d := range []struct {
		name string
		d    *Dist
	}{{"scan", &u.Scan}, {"type_code", &u.TypeCode}, {"consent", &u.Consent}, {"confirm", &u.Confirm},
		{"browser_open", &u.BrowserOpen}, {"cancel_at", &u.CancelAt}} {
		if err := d.d.Validate(); err != nil {
			return fmt.Errorf("user: %s: %w", d.name, err)
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"typo_rate", u.TypoRate}, {"deny_rate", u.DenyRate}, {"browser_fail_rate", u.BrowserFailRate},
		{"reject_account_rate", u.RejectAccountRate}, {"cancel_rate", u.CancelRate}, {"blind_confirm_rate", u.BlindConfirmRate},
		{"refuse_rate", u.RefuseRate}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("user: %s %g is not a probability in [0, 1]", p.name, p.v)
		}
	}
	if u.BrowserRetryMillis < 0 || u.BrowserRetryMillis > MaxDelayMillis {
		return fmt.Errorf("user: browser_retry_ms %d is outside [0, %d]", u.BrowserRetryMillis, MaxDelayMillis)
	}
	if u.RefuseAt != "" && u.RefuseAt != RefuseAny && !slices.Contains(refuseSteps, u.RefuseAt) {
		return fmt.Errorf("user: refuse_at %q is none of %s, %s", u.RefuseAt, strings.Join(refuseSteps, ", "), RefuseAny)
	}
	if u.BrowserRetries < 0 {
		return fmt.Errorf("user: browser_retries %d is negative", u.BrowserRetries)
	}
	return nil
}

// ActKind is one kind of thing the person holding the devices saw or did.
type ActKind uint8

// What the user's record holds: what a screen showed them and what they
// did about it.
const (
	// ActSawQR: Device showed the QR code (it is G).
	ActSawQR ActKind = iota + 1
	// ActSawCheckCode: Device displayed check code Text.
	ActSawCheckCode
	// ActTypedCode: the user typed check code Text on Device.
	ActTypedCode
	// ActBrowserOpened: the browser came up for Device.
	ActBrowserOpened
	// ActConsent: on the consent page of grant Grant, the user approved
	// (OK) or refused.
	ActConsent
	// ActConfirmBrowser: the user told Device the browser step was done
	// (OK) or cancelled it.
	ActConfirmBrowser
	// ActConfirmAccount: the user confirmed (OK) or rejected account Text
	// on Device.
	ActConfirmAccount
	// ActCancel: the user cancelled on Device.
	ActCancel
	// ActBrowserFailed: the browser could not open the verification URI
	// Device asked for (a failure the simulator injected).
	ActBrowserFailed
)

// Act is one entry of the user's record.
type Act struct {
	At     Millis
	Kind   ActKind
	Device Actor
	Text   string
	Grant  string
	OK     bool
}

// UserRecord is what the person holding both devices could tell about a
// run: the codes the screens showed, what they typed, each consent,
// confirmation and refusal, in order. The monitors judge the devices
// against it, never against what a device says of itself.
type UserRecord struct {
	Acts []Act
}

func (u *UserRecord) reset() { u.Acts = u.Acts[:0] }

func (u *UserRecord) add(a Act) { u.Acts = append(u.Acts, a) }

// last returns the latest act of kind k on device d (any device when d is
// ActorNone), or nil.
func (u *UserRecord) last(k ActKind, d Actor) *Act {
	for i := len(u.Acts) - 1; i >= 0; i-- {
		if a := &u.Acts[i]; a.Kind == k && (d == ActorNone || a.Device == d) {
			return a
		}
	}
	return nil
}

// User returns the last run's user record.
func (r *Runner) User() *UserRecord { return &r.r.user }
