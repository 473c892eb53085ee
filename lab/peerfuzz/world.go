package peerfuzz

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"qrlab/lab/peer"
	"qrlab/model/channel"
)

// Step is one operation of a sequence. Sessions are named by number (S);
// a payload a step makes goes into a pool under the step's ID, from which
// any later step may take it (From). Names and IDs do not move when the
// shrinker drops steps, so what is left keeps its meaning.
type Step struct {
	// Kind is one of:
	//   new       the peer opens session S in role Role; the fuzzer keeps
	//             the other end (the counterpart, always the model)
	//   initiate  the counterpart (a scanner) seals LoginInitiate Text to
	//             the peer's key; the payload goes into the pool
	//   establish the peer (a scanner) seals Text to the counterpart's key
	//   send      the peer seals Text
	//   seal      the counterpart seals Text (with SealAAD)
	//   deliver   pool payload From, mutated by Mut, goes to the peer (AAD)
	//   cpopen    pool payload From, mutated by Mut, goes to the counterpart
	//   check     the peer's check code, compared with the counterpart's
	//   raw       a malformed line (Raw, with "$S" the session's name)
	//   close     the peer closes session S
	Kind    string `json:"kind"`
	ID      int    `json:"id"`
	S       int    `json:"s"`
	Role    string `json:"role,omitempty"`
	Text    string `json:"text,omitempty"`
	From    int    `json:"from,omitempty"`
	Mut     string `json:"mut,omitempty"`
	Arg     int    `json:"arg,omitempty"`
	AAD     string `json:"aad,omitempty"`
	SealAAD string `json:"seal_aad,omitempty"`
	Raw     string `json:"raw,omitempty"`
}

func (s Step) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Obs is what one step showed of one side.
type Obs struct {
	Skip    bool   // the step referred to nothing (both sides skip alike)
	Outcome string // "accept", "refuse", "crash", "timeout", "protocol"
	Plain   string // the plaintext opened, on accept
	Len     int    // the payload's length, on a sealing accept
	Code    string // "match" or "mismatch" for check
	Detail  string // the error, for the reproducer
	Effect  string // what the step's mutation did (see effect)
}

// same reports whether two observations agree.
func same(a, b Obs) bool {
	return a.Skip == b.Skip && a.Outcome == b.Outcome && a.Plain == b.Plain && a.Len == b.Len && a.Code == b.Code
}

// session is one session as a world knows it: the counterpart's state.
type session struct {
	name string
	role string // the peer's role
	pub  string // the peer's key
	gen  *channel.Generator
	scan *channel.Scanner
	ch   *channel.Channel // the counterpart's channel, once established
}

// world is one side of the differential: a peer (the one under test, or
// the model) and the counterparts the fuzzer keeps for it.
type world struct {
	conn     Conn
	cfg      channel.Config
	rand     io.Reader
	prefix   string
	sessions map[int]*session
	pool     map[int]*string
	lines    []string // the transcript: op and answer lines
}

func (w *world) do(op map[string]any) (peer.Event, error) {
	b, _ := json.Marshal(op)
	return w.doLine(b)
}

func (w *world) doLine(b []byte) (peer.Event, error) {
	ev, err := w.conn.Do(b)
	w.lines = append(w.lines, "> "+string(b))
	if err != nil {
		w.lines = append(w.lines, "! "+err.Error())
	} else {
		e, _ := json.Marshal(ev)
		w.lines = append(w.lines, "< "+string(e))
	}
	return ev, err
}

// observe turns an answer into an observation, taking the payload into
// the pool when want is "send".
func observe(ev peer.Event, err error, want string) (Obs, *string) {
	var f *Failure
	if errors.As(err, &f) {
		return Obs{Outcome: f.Kind, Detail: f.Detail}, nil
	}
	if err != nil {
		return Obs{Outcome: "protocol", Detail: err.Error()}, nil
	}
	if ev.Event == "error" {
		return Obs{Outcome: "refuse", Detail: ev.Error}, nil
	}
	if ev.Event != want {
		return Obs{Outcome: "protocol", Detail: fmt.Sprintf("answered %q where %q or error was due", ev.Event, want)}, nil
	}
	o := Obs{Outcome: "accept"}
	switch want {
	case "send":
		if ev.Payload == nil {
			return Obs{Outcome: "protocol", Detail: "send event without payload"}, nil
		}
		o.Len = len(*ev.Payload)
		return o, ev.Payload
	case "received":
		if ev.Plaintext == nil {
			return Obs{Outcome: "protocol", Detail: "received event without plaintext"}, nil
		}
		o.Plain = *ev.Plaintext
	}
	return o, nil
}

func modelObs(pt []byte, err error) Obs {
	if err != nil {
		return Obs{Outcome: "refuse", Detail: err.Error()}
	}
	return Obs{Outcome: "accept", Plain: string(pt)}
}

func (w *world) sess(i int) *session { return w.sessions[i] }

func (w *world) take(i int) *string { return w.pool[i] }

func b64(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func withAAD(op map[string]any, aad string) map[string]any {
	if aad != "" {
		op["aad"] = base64.RawStdEncoding.EncodeToString([]byte(aad))
	}
	return op
}

// step runs one step and returns what it showed.
func (w *world) step(st Step) Obs {
	if st.Kind == "new" {
		return w.newSession(st)
	}
	if st.Kind == "raw" {
		s := w.sess(st.S)
		if s == nil {
			return Obs{Skip: true}
		}
		ev, err := w.doLine([]byte(expandRaw(st.Raw, s.name)))
		o, _ := observe(ev, err, "")
		if o.Outcome == "protocol" && err == nil {
			o = Obs{Outcome: "accept"} // any event but error is an accept here
		}
		return o
	}
	s := w.sess(st.S)
	if s == nil {
		return Obs{Skip: true}
	}
	switch st.Kind {
	case "initiate":
		return w.initiate(s, st)
	case "establish":
		if s.role != "scanner" {
			return Obs{Skip: true}
		}
		ev, err := w.do(withAAD(map[string]any{"op": "establish", "session": s.name, "peer_key": s.gen.PublicKey().String(), "plaintext": st.Text}, st.AAD))
		o, p := observe(ev, err, "send")
		w.pool[st.ID] = p
		return o
	case "send":
		ev, err := w.do(withAAD(map[string]any{"op": "send", "session": s.name, "plaintext": st.Text}, st.AAD))
		o, p := observe(ev, err, "send")
		w.pool[st.ID] = p
		return o
	case "seal":
		if s.ch == nil {
			w.pool[st.ID] = nil
			return Obs{Skip: true}
		}
		p, err := s.ch.Seal([]byte(st.Text), b64(st.SealAAD))
		if err != nil {
			w.pool[st.ID] = nil
			return Obs{Outcome: "refuse", Detail: err.Error()}
		}
		w.pool[st.ID] = &p
		return Obs{Skip: true}
	case "deliver":
		p := w.take(st.From)
		if p == nil {
			return Obs{Skip: true}
		}
		m := mutate(*p, st.Mut, st.Arg)
		ev, err := w.do(withAAD(map[string]any{"op": "receive", "session": s.name, "payload": m}, st.AAD))
		o, _ := observe(ev, err, "received")
		o.Effect = effect(*p, m)
		return o
	case "cpopen":
		return w.cpopen(s, st)
	case "check":
		ev, err := w.do(map[string]any{"op": "check_code", "session": s.name})
		o, _ := observe(ev, err, "check_code")
		if o.Outcome == "accept" {
			o.Code = "mismatch"
			if s.ch != nil && s.ch.CheckCode().String() == ev.Code {
				o.Code = "match"
			}
		}
		return o
	case "close":
		ev, err := w.do(map[string]any{"op": "close", "session": s.name})
		o, _ := observe(ev, err, "closed")
		delete(w.sessions, st.S)
		return o
	}
	return Obs{Skip: true}
}

func (w *world) newSession(st Step) Obs {
	if w.sessions[st.S] != nil {
		return Obs{Skip: true}
	}
	name := fmt.Sprintf("%s.%d", w.prefix, st.S)
	ev, err := w.do(map[string]any{"op": "new", "session": name, "role": st.Role})
	o, _ := observe(ev, err, "ready")
	if o.Outcome != "accept" {
		return o
	}
	s := &session{name: name, role: st.Role, pub: ev.PublicKey}
	var cerr error
	if st.Role == "generator" {
		s.scan, cerr = channel.NewScanner(w.cfg, w.rand)
	} else {
		s.gen, cerr = channel.NewGenerator(w.cfg, w.rand)
	}
	if cerr != nil {
		return Obs{Outcome: "protocol", Detail: "counterpart: " + cerr.Error()}
	}
	w.sessions[st.S] = s
	return o
}

// initiate: the counterpart scanner seals LoginInitiate to the peer's key.
// A key the model cannot parse is an observation of its own.
func (w *world) initiate(s *session, st Step) Obs {
	if s.scan == nil || s.ch != nil {
		return Obs{Skip: true}
	}
	gp, err := channel.ParsePublicKey(s.pub)
	if err != nil {
		w.pool[st.ID] = nil
		return Obs{Outcome: "refuse", Detail: "the peer's public key: " + err.Error()}
	}
	ch, p, err := s.scan.Initiate(gp, []byte(st.Text), b64(st.SealAAD))
	if err != nil {
		w.pool[st.ID] = nil
		return Obs{Outcome: "refuse", Detail: err.Error()}
	}
	s.ch = ch
	w.pool[st.ID] = &p
	return Obs{Skip: true}
}

// cpopen: the counterpart opens a payload, accepting it first when it is a
// generator without a channel yet.
func (w *world) cpopen(s *session, st Step) Obs {
	p := w.take(st.From)
	if p == nil {
		return Obs{Skip: true}
	}
	payload := mutate(*p, st.Mut, st.Arg)
	var o Obs
	switch {
	case s.ch != nil:
		o = modelObs(s.ch.Open(payload, b64(st.SealAAD)))
	case s.gen != nil:
		ch, pt, err := s.gen.Accept(payload, b64(st.SealAAD), w.rand)
		if err == nil {
			s.ch = ch
		}
		o = modelObs(pt, err)
	default:
		return Obs{Skip: true}
	}
	o.Effect = effect(*p, payload)
	return o
}

// closeAll closes the sessions still open, so a long run does not pile
// them up in the peer.
func (w *world) closeAll() {
	for i, s := range w.sessions {
		w.conn.Do([]byte(fmt.Sprintf(`{"op":"close","session":%q}`, s.name)))
		delete(w.sessions, i)
	}
}
