package sim

import "qrlab/model/login"

// roguePeer is a peer that holds its end of the channel by right (the new
// device the user signs in, running a hostile or broken client) and, once
// the handshake is done, sends m.login.success where m.login.protocol
// belongs: a premature, out-of-place message, sealed under the channel's
// own keys so that it opens. The existing device must end the login there
// (unexpected_message_received); one that skips it and polls on is what
// unexpected-message-ends catches, from the tap on its channel and its
// screen. What the rogue device itself seals is not judged.
type roguePeer struct{ noAdversary }

func (*roguePeer) name() string { return "rogue-peer" }

func (*roguePeer) start(r *Runner, w *run) { w.res.AdversaryActs++ }

func (*roguePeer) newDevice(r *Runner, w *run, cfg *login.NewDeviceConfig) {
	cfg.ForceEarlySuccess = true
}
