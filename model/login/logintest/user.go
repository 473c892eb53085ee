package logintest

import (
	"fmt"

	"qrlab/model/login"
)

// User is the scripted person holding both devices, and the faults a test
// injects between the devices and the servers. The zero value scans after
// 2 s, types the right code 3 s after both screens are ready, confirms the
// browser step after 500 ms and consents at the provider after 4 s.
type User struct {
	TypeWrongCode     bool
	DenyConsent       bool
	BrowserFails      bool
	RejectAccount     bool
	NeverConsent      bool
	CancelBrowserStep bool
	ConfirmDelay      login.Millis // how long the user takes to confirm the browser step on E (0: 500 ms)
	CancelNAt         login.Millis // 0: never
	CancelEAt         login.Millis
	ScanDelay         login.Millis // 0: 2000 ms
	ConsentDelay      login.Millis // 0: 4000 ms
	CorruptQR         bool
	// TamperRendezvous may replace the body of the store's answer to a GET.
	TamperRendezvous func(path string, body []byte) []byte
	// RewriteRendezvous may replace the rendezvous server's answer to a
	// request (after the server handled it).
	RewriteRendezvous func(r login.Request, resp login.Response) login.Response
	// LoseResponse, when it returns true, lets the server handle the request
	// but loses the answer (the machine sees a transport failure).
	LoseResponse func(r login.Request) bool
	// RewriteOP may replace the provider's answer to a request.
	RewriteOP func(r login.Request, resp login.Response) login.Response
	// RewriteHS may replace the homeserver's answer to a request.
	RewriteHS func(r login.Request, resp login.Response) login.Response
	// Forge, when set, has one device put a message of the test's making in
	// the mailbox, as a broken or hostile peer would.
	Forge *Forgery
}

// Reaction is one thing the user does about a screen: deliver In to N
// (ToN) or E After milliseconds later or, when Consent is set, go to the
// provider in E's browser After milliseconds later and answer there.
type Reaction struct {
	After   login.Millis
	ToN     bool
	In      login.Input
	Consent bool
}

// Person is the user as she goes: her script (User) and what she saw so
// far. React is pure: a World schedules the reactions in virtual time, a
// run against real servers can post them at once.
type Person struct {
	User
	// NIsG: the new device shows the QR code and asks for the check code.
	NIsG bool
	// Shown is the check code S showed ("" before); Asked is set once G
	// asked for it.
	Shown string
	Asked bool
}

// NewPerson returns the user of script u, with its zero delays set to the
// defaults (see User).
func NewPerson(u User, nIsG bool) Person {
	if u.ScanDelay == 0 {
		u.ScanDelay = 2000
	}
	if u.ConsentDelay == 0 {
		u.ConsentDelay = 4000
	}
	return Person{User: u, NIsG: nIsG}
}

// React hands do what the user does, in order, about effect f of N (toN)
// or E; nothing for an effect that shows or asks nothing.
func (p *Person) React(toN bool, f login.Effect, do func(Reaction)) {
	switch f.Kind {
	case login.EffectShowQR:
		data := f.Data
		if p.CorruptQR {
			data = append([]byte(nil), data[:len(data)-1]...)
		}
		do(Reaction{After: p.ScanDelay, ToN: !toN, In: login.Input{Kind: login.InputScanned, Data: data}})
	case login.EffectShowCheckCode:
		p.Shown = f.Text
		p.typeCode(do)
	case login.EffectAskCheckCode:
		p.Asked = true
		p.typeCode(do)
	case login.EffectOpenBrowser:
		p.browser(do)
	case login.EffectAskConfirmAccount:
		do(Reaction{After: 1000, ToN: true, In: login.Input{Kind: login.InputConfirmAccount, OK: !p.RejectAccount}})
	}
}

// typeCode types the code on G, 3 s after S showed it and G asked.
func (p *Person) typeCode(do func(Reaction)) {
	if p.Shown == "" || !p.Asked {
		return
	}
	code := p.Shown
	if p.TypeWrongCode && len(code) >= 2 {
		code = fmt.Sprintf("%02d", (int(code[0]-'0')*10+int(code[1]-'0')+1)%100)
	}
	do(Reaction{After: 3000, ToN: p.NIsG, In: login.Input{Kind: login.InputCheckCode, Text: code}})
}

// browser is E's browser opening the verification URI, the user telling
// E the browser step is under way (only the after-confirm ack waits for
// this) and, later, consenting at the provider.
func (p *Person) browser(do func(Reaction)) {
	if p.BrowserFails {
		do(Reaction{After: 100, In: login.Input{Kind: login.InputBrowserFailed}})
		return
	}
	confirm := p.ConfirmDelay
	if confirm == 0 {
		confirm = 500
	}
	do(Reaction{After: 100, In: login.Input{Kind: login.InputBrowserOpened}})
	do(Reaction{After: confirm, In: login.Input{Kind: login.InputConsent, OK: !p.CancelBrowserStep}})
	if !p.NeverConsent && !p.CancelBrowserStep {
		do(Reaction{After: p.ConsentDelay, Consent: true})
	}
}
