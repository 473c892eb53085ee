package sim

import (
	"fmt"
	"slices"

	"qrlab/model/oauth"
	"qrlab/model/variant"
)

// The careless user of a stepped run: the decisions the user model draws
// per run with its rates (User: typo_rate, blind_confirm_rate, deny_rate,
// browser_fail_rate, reject_account_rate, refuse_rate, cancel_rate) become
// choices of the chooser, taken at the user's act they belong to, instead
// of being drawn. The attentive act is the choice with no decision
// (FaultNone); Stepping.Careless adds the others:
//
//   - typing the check code: a typo (the last digit off by one, as the
//     user model's default, or the first, as with typo_any_digit), or
//     cancelling on that device instead (the refusal at the check code);
//   - a check code the user's own device did not show (the attacker's
//     screen, or a new device that is not theirs): the attentive user
//     ignores it, the careless one types it (blind confirm);
//   - the browser coming up: it cannot open the verification URI, or the
//     user cancels on the existing device instead;
//   - the provider's consent page reaching the browser: the user denies;
//   - telling the existing device the browser step is done: the user
//     refuses it (cancels it, or cancels on the existing device where the
//     design asks nothing);
//   - the account question: the user rejects their own account, or
//     confirms another one (blind confirm);
//   - scanning the QR code: the user cancels on the scanning device
//     instead.
//
// The times of the acts stay the user stream's draws (one pace). The two
// typos stand for every wrong code of the same length (a device comparing
// the code digit by digit sees each digit wrong in one of them); other
// wrong codes are not tried. A cancel at an arbitrary moment (cancel_at)
// is taken at the user's next act, not at every moment in between.

// The careless user's decisions, as faults of the user's acts.
const (
	// DecideTypo: the user types the check code with its last digit off
	// by one.
	DecideTypo Fault = iota + 16
	// DecideBlind: the user types a check code their own device did not
	// show, or confirms an account that is not theirs.
	DecideBlind
	// DecideRefuse: the user denies consent, cancels the browser step or
	// rejects the account.
	DecideRefuse
	// DecideCancel: the user cancels on the device instead of acting.
	DecideCancel
	// DecideBrowserFail: the browser cannot open the verification URI.
	DecideBrowserFail
	// DecideTypoFirst: the user types the check code with its first
	// digit off by one.
	DecideTypoFirst
)

// decisionNames are the decisions' names, from DecideTypo on.
var decisionNames = [...]string{"typo", "blind", "refuse", "cancel", "browser-fail", "typo-first"}

// Decision reports whether f is a user's decision rather than a network
// fault.
func (f Fault) Decision() bool { return f >= DecideTypo && f <= DecideTypoFirst }

// decisionName is f's name when it is a decision.
func decisionName(f Fault) (string, bool) {
	if !f.Decision() {
		return "", false
	}
	return decisionNames[f-DecideTypo], true
}

// Stepping is a stepped run's choices beyond the order of events: the
// network's fault budgets for the whole run, and whether the user's
// decisions are the chooser's.
type Stepping struct {
	Loss, Dup int
	// Resets is how many exchanges the network may break with a transport
	// error (FaultReset) in the whole run.
	Resets int
	// Careless lists the careless user's decisions at each of the user's
	// acts (the DecideX faults) as choices; false: the attentive user
	// only, with the user model's rates as drawn.
	Careless bool
	// FingerprintKey keys the hash of the run's fingerprints (0: a key
	// drawn from the run's seed). Only the fingerprints' values depend on
	// it, never the run.
	FingerprintKey uint64
	// UntimedAbove, when positive, turns the time abstraction on
	// (step_time.go): a timer or a request's timeout set more than this
	// far ahead is untimed. Zero: exact time.
	UntimedAbove Millis
	// FreeLostTimeouts, under the time abstraction, makes a request's
	// timeout untimed and free to fire as soon as its exchange can no
	// longer complete (step_time.go, exchangeLost), whatever the bound.
	FreeLostTimeouts bool
}

// StartStepped begins a stepped run of seed with s's choices.
func (r *Runner) StartStepped(seed uint64, s Stepping) error {
	if s.Resets < 0 {
		return fmt.Errorf("%w: the reset budget must not be negative (%d)", ErrConfig, s.Resets)
	}
	if err := r.Start(seed, s.Loss, s.Dup); err != nil {
		return err
	}
	r.st.careless, r.st.resetMax = s.Careless, s.Resets
	if s.FingerprintKey != 0 {
		r.fph, r.fpKeyed = newFPHash(s.FingerprintKey), true
	}
	return r.startTime(s.UntimedAbove, s.FreeLostTimeouts)
}

// decisions appends to buf the careless user's decisions at pending event
// e (none for an attentive user, or when e is not a user's act).
func (r *Runner) decisions(buf []Choice, e *event) []Choice {
	buf = r.resets(buf, e)
	if !r.st.careless {
		return buf
	}
	for _, f := range r.decisionsOf(e) {
		c := r.choice(e, f)
		name, _ := decisionName(f)
		c.Kind = "user"
		if !r.noLabels {
			c.Label = c.Label + " (" + name + ")"
		}
		buf = append(buf, c)
	}
	return buf
}

// decisionsOf lists the decisions the careless user can make at e.
func (r *Runner) decisionsOf(e *event) []Fault {
	w := r.r
	switch e.kind {
	case evTypeCode:
		if e.ok { // a code their own device did not show
			return []Fault{DecideBlind}
		}
		return []Fault{DecideTypo, DecideTypoFirst, DecideCancel}
	case evScanned:
		if e.actor != ActorAttacker {
			return []Fault{DecideCancel}
		}
	case evBrowserOpened:
		if e.ok {
			return []Fault{DecideBrowserFail, DecideCancel}
		}
	case evConsentReturn:
		if e.ok {
			return []Fault{DecideRefuse}
		}
	case evConfirmAccount:
		if e.ok {
			return []Fault{DecideRefuse}
		}
		if e.text != "" && e.text != AliceID {
			return []Fault{DecideBlind}
		}
	case evRespArrive:
		x := &r.ex[e.id]
		if x.client == ActorBrowser && !x.done && !w.deny && r.resps[e.aux].page.Kind == oauth.PageConsent {
			return []Fault{DecideRefuse}
		}
	}
	return nil
}

// takeDecision carries out the careless user's decision c.Fault at the
// pending event at index i of the queue.
func (r *Runner) takeDecision(i int, c Choice) error {
	w := r.r
	ev := r.q.ev[i]
	if !r.st.careless {
		return fmt.Errorf("%w: event %d: a user's decision (%s) needs the careless user", ErrConfig, c.Seq, c.Fault)
	}
	if !slices.Contains(r.decisionsOf(&ev), c.Fault) {
		return fmt.Errorf("%w: event %d offers no decision %s", ErrConfig, c.Seq, c.Fault)
	}
	r.q.remove(i)
	r.st.steps++
	if fixedEvent(ev.kind) {
		w.now = max(w.now, ev.at)
	}
	defer r.dropInert()
	switch c.Fault {
	case DecideTypo:
		w.typo = true
		ev.text = typo(ev.text, len(ev.text)-1)
	case DecideTypoFirst:
		w.typo = true
		ev.text = typo(ev.text, 0)
	case DecideBlind:
		if ev.kind == evTypeCode {
			w.blindCode, w.shownCode = true, ev.text
			ev.ok = false
		} else {
			w.blindAccount, ev.ok = true, true
		}
	case DecideRefuse:
		switch ev.kind {
		case evRespArrive:
			w.deny = true
		case evConsentReturn:
			if r.cfg.Variant.Flow.Ack != variant.AckAfterConfirm {
				// Nothing to refuse on this design's screen: the user
				// cancels on the existing device instead.
				ev = event{at: ev.at, kind: evCancel, actor: ActorExisting}
				break
			}
			ev.ok = false
		case evConfirmAccount:
			w.rejectAccount, ev.ok = true, false
		}
	case DecideCancel:
		who := ev.actor
		if ev.kind == evBrowserOpened {
			who = ActorExisting
		}
		ev = event{at: ev.at, kind: evCancel, actor: who}
	case DecideBrowserFail:
		w.browserFail, ev.ok = true, false
	}
	r.dispatch(w, &ev)
	return nil
}

// typo is code with its digit i off by one (a neighbouring key), as the
// user model's typo does (typeCode).
func typo(code string, i int) string {
	if i < 0 || i >= len(code) || code[i] < '0' || code[i] > '9' {
		return code
	}
	return code[:i] + string((code[i]-'0'+1)%10+'0') + code[i+1:]
}

// offerUnreadCode: a careless stepped run's user may type a check code
// their own device did not show (text, on G): the chance comes as a
// user's act whose attentive choice ignores it. It reports whether the
// run is careless (and the code was offered or will be once G asks).
func (r *Runner) offerUnreadCode(w *run, text string) bool {
	if !r.st.on || !r.st.careless {
		return false
	}
	if text != "" {
		w.unreadCode = text
	}
	if w.unreadCode != "" && w.asked {
		r.q.push(event{at: w.now + r.cfg.User.TypeCode.Sample(w.usrRand), kind: evTypeCode, actor: w.codeG, text: w.unreadCode, ok: true})
		w.unreadCode = ""
	}
	return true
}
