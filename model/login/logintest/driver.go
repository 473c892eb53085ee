package logintest

import (
	"qrlab/model/login"
	"qrlab/model/rendezvous"
)

// Driver steps one machine alone. Each input's effects are recorded first;
// then its requests are answered in order, depth first: rendezvous ones
// from Store at once, the others by Answer. A request nobody answers (a
// DELETE, or one Answer declines) stays in Requests for the test.
type Driver struct {
	M Machine
	// Store answers the machine's rendezvous requests (nil: none answered).
	Store *rendezvous.Store
	// Token is the access token the homeserver accepts on rendezvous
	// requests (see RendezvousRoute).
	Token string
	// Answer answers requests to the homeserver and the provider; nil or
	// false leaves them unanswered.
	Answer func(r login.Request) (login.Response, bool)
	// Watch, when set, sees every effect before the driver records it.
	Watch func(f login.Effect)
	// Now is the virtual time; Tick is added to it before every input.
	Now, Tick login.Millis

	// Trace is the compact effect log: requests ("PUT rendezvous"),
	// messages ("sealed m.login.protocols"), states ("-> failed"),
	// outcomes, and the check code and browser screens.
	Trace []string
	// Requests are the requests left unanswered, oldest first.
	Requests []login.Request
	// Timers are the timers set so far, oldest first (cancelled ones too:
	// the machine ignores a timer it forgot).
	Timers []login.Effect
	// QR is the last QR payload shown; Opened the types of the messages
	// opened, in order; Ended is set once an outcome came.
	QR     []byte
	Opened []string
	Ended  bool
}

// Feed delivers in, then the answers to the requests it caused.
func (d *Driver) Feed(in login.Input) {
	d.Now += d.Tick
	fx := append([]login.Effect(nil), d.M.Step(d.Now, in)...)
	for _, f := range fx {
		if d.Watch != nil {
			d.Watch(f)
		}
		d.record(f)
	}
	for _, f := range fx {
		if f.Kind != login.EffectRequest {
			continue
		}
		if resp, ok := d.answer(f.Request); ok {
			d.Feed(login.Input{Kind: login.InputResponse, ID: f.Request.ID, Response: resp})
		} else {
			d.Requests = append(d.Requests, f.Request)
		}
	}
}

func (d *Driver) answer(r login.Request) (login.Response, bool) {
	switch {
	case r.Method == "DELETE":
		return login.Response{}, false
	case r.Target == login.TargetRendezvous:
		if d.Store == nil {
			return login.Response{}, false
		}
		return RendezvousRoute(d.Store, d.Token, d.Now, r), true
	case d.Answer != nil:
		return d.Answer(r)
	}
	return login.Response{}, false
}

func (d *Driver) record(f login.Effect) {
	switch f.Kind {
	case login.EffectRequest:
		d.Trace = append(d.Trace, f.Request.Method+" "+f.Request.Target.String())
	case login.EffectSetTimer:
		d.Timers = append(d.Timers, f)
	case login.EffectShowQR:
		d.QR = f.Data
	case login.EffectChannel:
		dir := "opened "
		if f.Sealed {
			dir = "sealed "
		} else {
			d.Opened = append(d.Opened, f.MsgType)
		}
		d.Trace = append(d.Trace, dir+f.MsgType)
	case login.EffectState:
		d.Trace = append(d.Trace, "-> "+f.To.String())
	case login.EffectOutcome:
		d.Ended = true
		d.Trace = append(d.Trace, "outcome "+f.Outcome.String())
	case login.EffectShowCheckCode, login.EffectOpenBrowser:
		d.Trace = append(d.Trace, f.Kind.String())
	}
}

// Poll lets after pass and fires the timer set last (the machine's poll).
func (d *Driver) Poll(after login.Millis) {
	d.Now += after
	if len(d.Timers) > 0 {
		d.Feed(login.Input{Kind: login.InputTimer, ID: d.Timers[len(d.Timers)-1].Timer})
	}
}

// FireAll fires every timer set so far, in order, and forgets them.
func (d *Driver) FireAll() {
	ts := d.Timers
	d.Timers = nil
	for _, t := range ts {
		d.Feed(login.Input{Kind: login.InputTimer, ID: t.Timer})
	}
}
