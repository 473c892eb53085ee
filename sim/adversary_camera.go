package sim

import (
	"bytes"
	"math/rand/v2"

	"qrlab/model/qr"
	"qrlab/model/rendezvous"
)

// camera is the physical channel misbehaving, one case per seed: the
// user's device misreads the QR code (truncated, an intent byte no format
// knows, a bit flipped in the generator's key, a bit flipped in the
// session's ID or URL), or the network corrupts one byte of one
// rendezvous payload on its way to a device. No attacker is needed; the
// devices must refuse cleanly, and never sign in on what they misread
// (checkers_camera.go).
type camera struct {
	noAdversary
	rnd  *rand.Rand
	kind int
	// corruptAt: the transport case corrupts the payload of the
	// corruptAt-th answer to a device's read that carries one.
	corruptAt, reads int
}

// The camera's cases, by seed.
const (
	camTruncated = iota
	camUnknownIntent
	camKeyBitFlip
	camSessionBitFlip
	camFrameCorrupt
	numCameraCases
)

var cameraCaseNames = [numCameraCases]string{"truncated QR scan", "QR scan with an unknown intent byte",
	"QR scan with a bit flipped in the key", "QR scan with a bit flipped in the session", "rendezvous payload corrupted in transit"}

func (*camera) name() string { return "camera" }

func (a *camera) start(r *Runner, w *run) {
	a.rnd = rand.New(derive(w.seed, streamAdversary))
	a.kind = int(w.seed % numCameraCases)
	a.corruptAt, a.reads = 1+a.rnd.IntN(4), 0
	w.mon.camera.start(cameraCaseNames[a.kind], a.kind <= camUnknownIntent)
}

// scan misreads the QR code in the scanning cases.
func (a *camera) scan(r *Runner, w *run, scanner Actor, data []byte) []byte {
	if a.kind >= camFrameCorrupt || len(data) < 2 {
		return data
	}
	p, err := qr.Decode(data)
	if err != nil {
		return data
	}
	out := append([]byte(nil), data...)
	key := bytes.Index(out, p.Key[:])
	switch a.kind {
	case camTruncated:
		out = out[:1+a.rnd.IntN(len(out)-1)]
	case camUnknownIntent:
		if key < 1 {
			return data
		}
		out[key-1] = 0x7f // the byte before the key is the intent in every layout
	case camKeyBitFlip:
		if key < 0 {
			return data
		}
		out[key+a.rnd.IntN(len(p.Key))] ^= 1 << a.rnd.IntN(8)
	case camSessionBitFlip:
		id := p.RendezvousID
		if id == "" {
			id = p.RendezvousURL[max(0, len(p.RendezvousURL)-8):]
		}
		i := bytes.LastIndex(out, []byte(id))
		if i < 0 || id == "" {
			return data
		}
		// A letter or digit of the ID, one bit off (kept printable).
		out[i+a.rnd.IntN(len(id))] ^= 1 << a.rnd.IntN(3)
	}
	w.mon.touch(monChecks)
	w.mon.camera.misread(scanner, w.now)
	w.res.AdversaryActs++
	r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorNetwork, Peer: scanner, Name: "camera: " + cameraCaseNames[a.kind]})
	return out
}

// rendezvousAnswer corrupts one byte of one payload a device reads, in the
// transport case, after the store answered honestly.
func (a *camera) rendezvousAnswer(r *Runner, w *run, x *exchange, req *rendezvous.Request, resp *rendezvous.Response) {
	if a.kind != camFrameCorrupt || !honest(x.client) || req.Method != "GET" || resp.Status != 200 {
		return
	}
	b := w.mon.boxFor(req.Path)
	// Only the other login device's payload: the checker expects the
	// reader to open it and end channel_integrity, and a device reading
	// a payload an attacker wrote (another adversary's, in the session
	// before the device's own first write) may never open it.
	if b == nil || len(b.spec.Data) < 4 || !honest(b.writer) || b.writer == x.client {
		return
	}
	if a.reads++; a.reads != a.corruptAt {
		return
	}
	bs := []byte(b.spec.Data)
	i := a.rnd.IntN(len(bs))
	// Another base64 character: the frame stays well-formed, the payload
	// does not.
	if bs[i] == 'A' {
		bs[i] = 'B'
	} else {
		bs[i] = 'A'
	}
	w.mon.codec.SetRead(resp, string(bs), b.token)
	w.mon.touch(monChecks)
	w.mon.camera.corruptedServed(resp.Body)
	w.res.AdversaryActs++
	r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorNetwork, Peer: x.client, Name: "camera: " + cameraCaseNames[a.kind]})
}
