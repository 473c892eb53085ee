package sim

import (
	"fmt"

	"qrlab/model/channel"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/qr"
)

// roguePeer is a peer that holds its end of the channel by right (the new
// device the user signs in, running a hostile or broken client) and, once
// the handshake is done, sends what does not belong, sealed under the
// channel's own keys so that it opens. With no mode it seals
// m.login.success where m.login.protocol belongs (premature). The other
// modes, one case per seed:
//
//   - repeat: the same message twice: its m.login.protocol again where
//     m.login.success belongs, or its handshake message again where
//     m.login.protocol belongs;
//   - malformed: valid ciphertext of invalid JSON, of an unknown type, of
//     m.login.protocol with its fields missing, or naming a protocol
//     nobody speaks, where m.login.protocol or m.login.success belongs;
//   - out-of-place: a well-formed message of the other side
//     (m.login.protocol_accepted, m.login.protocols) or m.login.success
//     where m.login.protocol belongs, or m.login.protocol_accepted where
//     m.login.success belongs.
//
// The existing device must end the login there (unexpected_message_received,
// or unsupported_protocol for a protocol it does not speak); one that skips
// it and polls on is what unexpected-message-ends catches, from the tap on
// its channel and its screen. What the rogue device itself seals is not
// judged.
type roguePeer struct {
	noAdversary
	mode  string
	cases []rogueCase
	// step is this run's case.
	step rogueCase
}

// newRoguePeer makes a rogue peer of one mode with its cases.
func newRoguePeer(mode string) (adversary, error) {
	cases, err := rogueCases(mode)
	if err != nil {
		return nil, err
	}
	return &roguePeer{mode: mode, cases: cases}, nil
}

// rogueCase is one misbehaviour: where, what, and the ending it calls for.
type rogueCase struct {
	at        string
	plaintext []byte
	// handshake: plaintext is the new device's own handshake payload,
	// chosen when the run's intent is known.
	handshake, repeat bool
	desc, want        string
}

func (a *roguePeer) name() string {
	if a.mode == "" {
		return "rogue-peer"
	}
	return "rogue-" + a.mode
}

func (a *roguePeer) start(r *Runner, w *run) {
	w.res.AdversaryActs++
	if a.mode != "" && !a.step.repeat {
		skip := 0
		if a.step.handshake {
			skip = 1
		}
		w.mon.rogue.expect(a.step.plaintext, a.step.desc, a.step.want, skip)
	}
}

var (
	rogueUnexpected  = string(msg.ReasonUnexpectedMessageReceived)
	rogueUnsupported = string(msg.ReasonUnsupportedProtocol)
)

// rogueCases lists a mode's cases.
func rogueCases(mode string) ([]rogueCase, error) {
	var encErr error
	enc := func(m msg.Message) []byte {
		b, err := msg.Encode(m)
		if err != nil && encErr == nil {
			encErr = fmt.Errorf("%w: rogue-%s: %s: %w", ErrConfig, mode, m.Type(), err)
		}
		return b
	}
	P, S := login.RogueAtProtocol, login.RogueAtSuccess
	var out []rogueCase
	switch mode {
	case "repeat":
		out = []rogueCase{
			{at: S, repeat: true, desc: "m.login.protocol a second time", want: rogueUnexpected},
			{at: P, handshake: true, desc: "its handshake payload a second time", want: rogueUnexpected},
		}
	case "malformed":
		for _, at := range []string{P, S} {
			out = append(out,
				rogueCase{at: at, plaintext: []byte(`{"type":"m.login.protocol","device_id":`), desc: "invalid JSON", want: rogueUnexpected},
				rogueCase{at: at, plaintext: []byte(`{"type":"m.login.bogus"}`), desc: "an unknown message type", want: rogueUnexpected},
				rogueCase{at: at, plaintext: []byte(`{"type":"m.login.protocol"}`), desc: "m.login.protocol with its fields missing", want: rogueUnexpected})
		}
		// Where m.login.protocol belongs only: in place of m.login.success
		// it is also a second m.login.protocol, and whether
		// unsupported_protocol or unexpected_message_received comes first
		// is the reader's choice.
		out = append(out, rogueCase{at: P, plaintext: []byte(`{"device_authorization_grant":{"verification_uri":"https://auth.lab.example/link"},"device_id":"ROGUEDEVICE","protocol":"m.login.bogus","type":"m.login.protocol"}`),
			desc: "m.login.protocol naming a protocol nobody speaks", want: rogueUnsupported})
	case "out-of-place":
		out = []rogueCase{
			{at: P, plaintext: enc(msg.ProtocolAccepted{}), desc: "m.login.protocol_accepted (the other side's)", want: rogueUnexpected},
			{at: P, plaintext: enc(msg.Protocols{Protocols: []string{"device_authorization_grant"}, Server: BaseURL, ServerKey: msg.KeyBaseURL}),
				desc: "m.login.protocols (the other side's)", want: rogueUnexpected},
			{at: P, plaintext: enc(msg.Success{}), desc: "m.login.success where m.login.protocol belongs", want: rogueUnexpected},
			{at: S, plaintext: enc(msg.ProtocolAccepted{}), desc: "m.login.protocol_accepted where m.login.success belongs", want: rogueUnexpected},
		}
	default:
		return nil, fmt.Errorf("%w: rogue peer mode %q", ErrConfig, mode)
	}
	return out, encErr
}

func (a *roguePeer) newDevice(r *Runner, w *run, cfg *login.NewDeviceConfig) {
	if a.mode == "" {
		cfg.ForceEarlySuccess = true
		return
	}
	a.step = a.cases[w.seed%uint64(len(a.cases))]
	if a.step.handshake {
		// The scanning device's handshake payload is LoginInitiate, the
		// QR-showing device's LoginOk.
		a.step.plaintext = []byte(channel.LoginInitiate)
		if cfg.Intent == qr.Login {
			a.step.plaintext = []byte(channel.LoginOk)
		}
	}
	cfg.Rogue = login.RogueStep{At: a.step.at, Plaintext: a.step.plaintext, RepeatProtocol: a.step.repeat}
}
