package sim

import (
	"strings"

	"qrlab/model/homeserver"
	"qrlab/model/oauth"
	"qrlab/model/wire"
)

// maliciousHomeserver: the client-server API lies to the devices, one lie
// per seed:
//
//   - whoami names another device of the account to the new device;
//   - whoami names another account (the attacker's) with the new device's
//     ID;
//   - GET /devices/{id} lists the new device to the existing device before
//     it exists (its device check before the browser sees 200);
//   - GET /devices/{id} never lists it (the check after m.login.success
//     sees 404 for ever);
//   - the provider's token endpoint answers a token for a grant still
//     pending (the user has not consented), on the first poll.
//
// Each lie is on the wire, where the monitors read it: a device that
// believes whoami's other device or account seals m.login.success against
// success-only-after-whoami, one that hands the secrets over on a listing
// the homeserver's own state contradicts breaks
// secrets-only-after-confirmation. The devices are expected to refuse
// (whoami_mismatch, device_already_exists, device_not_found, or no
// secrets); the 2026 threat text's "remote client + malicious homeserver"
// is the separate remote-phishing-malicious-homeserver.
type maliciousHomeserver struct {
	noAdversary
	lie int
	// lied: this run's lie was told (once for the early listing and the
	// token).
	lied bool
}

const (
	hsLieWhoamiDevice = iota
	hsLieWhoamiUser
	hsLieDevicesEarly
	hsLieDevicesNever
	hsLieTokenPending
	numHSLies
)

var hsLieNames = [numHSLies]string{"whoami names another device", "whoami names another account",
	"/devices lists the new device early", "/devices never lists the new device", "a token for a pending grant"}

func (*maliciousHomeserver) name() string { return "malicious-homeserver" }

func (a *maliciousHomeserver) start(r *Runner, w *run) {
	a.lie, a.lied = int(w.seed%numHSLies), false
}

func (a *maliciousHomeserver) clientServerAnswer(r *Runner, w *run, x *exchange, resp *oauth.Response) {
	p := pathOf(x.req.URL)
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	told := false
	switch a.lie {
	case hsLieWhoamiDevice, hsLieWhoamiUser:
		if x.client != ActorNew || resp.Status != 200 || !strings.HasSuffix(p, homeserver.PathWhoami) {
			return
		}
		user, dev := AliceID, "OTHERDEVICE"
		if a.lie == hsLieWhoamiUser {
			user, dev = MalloryID, w.mon.dev.newDevice
		}
		b := append([]byte(`{"user_id":`), wire.AppendString(nil, user)...)
		b = append(append(append(b, `,"device_id":`...), wire.AppendString(nil, dev)...), `,"is_guest":false}`...)
		*resp = oauth.Response{Status: 200, Header: wire.JSONHeader(), Body: b}
		told = true
	case hsLieDevicesEarly, hsLieDevicesNever:
		if x.client != ActorExisting || x.req.Method != "GET" || !strings.Contains(p, homeserver.PathDevicesPrefix) {
			return
		}
		if a.lie == hsLieDevicesEarly && resp.Status == 404 && !a.lied {
			id := p[strings.LastIndex(p, "/")+1:]
			b := append(append([]byte(`{"device_id":`), wire.AppendString(nil, id)...), '}')
			*resp = oauth.Response{Status: 200, Header: wire.JSONHeader(), Body: b}
			told, a.lied = true, true
		}
		if a.lie == hsLieDevicesNever && resp.Status == 200 {
			*resp = oauth.Response{Status: 404, Header: wire.JSONHeader(), Body: []byte(`{"errcode":"M_NOT_FOUND","error":"Device not found"}`)}
			told = true
		}
	case hsLieTokenPending:
		if x.client != ActorNew || a.lied || !strings.HasSuffix(p, oauth.PathToken) || resp.Status == 200 {
			return
		}
		*resp = oauth.Response{Status: 200, Header: wire.JSONHeader(),
			Body: []byte(`{"access_token":"syt_forged_for_a_pending_grant","token_type":"Bearer","expires_in":300,"refresh_token":"syr_forged"}`)}
		told, a.lied = true, true
	}
	if told {
		w.res.AdversaryActs++
		r.tr.add(Event{At: w.now, Kind: EvFault, Actor: x.server, Peer: x.client, Name: "malicious-homeserver: " + hsLieNames[a.lie]})
	}
}
