package logintest

import (
	"container/heap"
	"fmt"
	"strings"

	"qrlab/model/homeserver"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/variant"
)

// StepCap bounds the events of one World.Run.
const StepCap = 20000

// Machine is what the harness needs of either login machine.
type Machine interface {
	Step(now login.Millis, in login.Input) []login.Effect
	State() login.State
	Facts() login.Facts
	Outcome() login.Outcome
	CheckCode() string
}

// Forgery: when the device (N if ByN) enters state When, Put seals
// Plaintext with the device's own channel and PUTs it at once, outside its
// state machine (whose request in flight is then forgotten), and returns
// the effects. It fits where the device holds the turn, so the peer opens
// the forgery as the next message. Put reaches into the machine; the login
// package's own tests supply it.
type Forgery struct {
	ByN       bool
	When      login.State
	Plaintext string
	Put       func(m Machine, now login.Millis, plaintext string) ([]login.Effect, error)
}

// event is one scheduled delivery.
type event struct {
	at  login.Millis
	seq int
	toN bool
	in  login.Input
	fn  func() // a scripted user action instead of an input
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// deadKey names a cancelled timer of one machine.
type deadKey struct {
	toN bool
	id  uint64
}

// World runs both machines of an Env against its servers, delivering every
// request's answer at once and timers and user actions in time order, and
// logs what happens.
type World struct {
	*Env
	// U is the user, with what she saw so far.
	U Person
	// Quiet skips the log (benchmarks).
	Quiet bool
	// Chaos, when set, decides per rendezvous GET whether to answer with
	// the previous 200 for that path and whether to deliver the answer twice.
	Chaos func() (stale, dup bool)

	q    queue
	seq  int
	now  login.Millis
	dead map[deadKey]bool
	log  strings.Builder
	err  error

	earlySecrets bool
	lastGet      map[string]login.Response
	visited      [2]map[login.State]bool
	revisited    string
	wasStale     bool
	forged       bool
}

// NewWorld builds an Env for v and a World over it.
func NewWorld(v variant.Variant, o Options, u User) (*World, error) {
	env, err := NewEnv(v, o)
	if err != nil {
		return nil, err
	}
	return &World{Env: env, U: NewPerson(u, env.NIsG), dead: map[deadKey]bool{}}, nil
}

// Run loads preset, builds a World and runs it.
func Run(preset string, o Options, u User) (*World, error) {
	v, err := variant.Load(preset)
	if err != nil {
		return nil, err
	}
	w, err := NewWorld(v, o, u)
	if err != nil {
		return nil, err
	}
	w.Run()
	return w, w.Err()
}

// Now is the virtual time of the last event delivered.
func (w *World) Now() login.Millis { return w.now }

// Log is the transcript so far.
func (w *World) Log() string { return w.log.String() }

// Err is the first error the harness itself met (a forgery that did not
// seal), nil if none.
func (w *World) Err() error { return w.err }

// Asked reports whether G asked for the check code.
func (w *World) Asked() bool { return w.U.Asked }

// EarlySecrets reports whether E sealed m.login.secrets before G's facts
// said the check code was confirmed.
func (w *World) EarlySecrets() bool { return w.earlySecrets }

// Revisited names the first machine and state entered twice ("" if none).
func (w *World) Revisited() string { return w.revisited }

// At schedules in for N (toN) or E at virtual time at.
func (w *World) At(at login.Millis, toN bool, in login.Input) {
	w.seq++
	heap.Push(&w.q, event{at: at, seq: w.seq, toN: toN, in: in})
}

// Do schedules a user action at virtual time at.
func (w *World) Do(at login.Millis, fn func()) {
	w.seq++
	heap.Push(&w.q, event{at: at, seq: w.seq, fn: fn})
}

// Pending is what the queue still holds for N (toN) or E, in queue order.
func (w *World) Pending(toN bool) []login.Input {
	var in []login.Input
	for _, ev := range w.q {
		if ev.fn == nil && ev.toN == toN {
			in = append(in, ev.in)
		}
	}
	return in
}

// Len is how many events are queued.
func (w *World) Len() int { return w.q.Len() }

func (w *World) logf(format string, args ...any) {
	if !w.Quiet {
		fmt.Fprintf(&w.log, format, args...)
	}
}

func who(toN bool) string {
	if toN {
		return "N"
	}
	return "E"
}

// Run drives both machines until both ended, the queue ran dry or StepCap.
func (w *World) Run() {
	w.Start()
	for steps := 0; w.q.Len() > 0 && steps < StepCap; steps++ {
		if w.N.State().Terminal() && w.E.State().Terminal() {
			break
		}
		w.Next()
	}
}

// Start schedules both starts and the user's cancels.
func (w *World) Start() {
	w.At(0, true, login.Input{Kind: login.InputStart})
	w.At(0, false, login.Input{Kind: login.InputStart})
	if w.U.CancelNAt > 0 {
		w.At(w.U.CancelNAt, true, login.Input{Kind: login.InputCancel})
	}
	if w.U.CancelEAt > 0 {
		w.At(w.U.CancelEAt, false, login.Input{Kind: login.InputCancel})
	}
}

// Next delivers the earliest event (the queue must not be empty).
func (w *World) Next() {
	ev := heap.Pop(&w.q).(event)
	w.now = ev.at
	if ev.fn != nil {
		ev.fn()
		return
	}
	if ev.in.Kind == login.InputTimer && w.dead[deadKey{ev.toN, ev.in.ID}] {
		return
	}
	var fx []login.Effect
	if ev.toN {
		fx = w.N.Step(w.now, ev.in)
	} else {
		fx = w.E.Step(w.now, ev.in)
	}
	w.effects(ev.toN, fx)
}

func (w *World) effects(toN bool, fx []login.Effect) {
	// Copy: handling effects steps the other machine, which reuses its own
	// buffer only.
	fx = append([]login.Effect(nil), fx...)
	for _, f := range fx {
		switch f.Kind {
		case login.EffectRequest:
			w.request(toN, f.Request)
		case login.EffectSetTimer:
			w.At(f.At, toN, login.Input{Kind: login.InputTimer, ID: f.Timer})
		case login.EffectCancelTimer:
			w.dead[deadKey{toN, f.Timer}] = true
		case login.EffectState:
			w.state(toN, f)
		case login.EffectChannel:
			w.channel(toN, f)
		default:
			w.screen(toN, f)
		}
	}
}

// request serves r and schedules the answer, lost, stale or twice as the
// user and Chaos say.
func (w *World) request(toN bool, r login.Request) {
	resp := w.Serve(r)
	if w.U.LoseResponse != nil && w.U.LoseResponse(r) {
		w.logf("%6d   (answer lost)\n", w.now)
		resp = login.Response{}
	}
	if w.Chaos != nil && r.Target == login.TargetRendezvous && r.Method == "GET" {
		if w.lastGet == nil {
			w.lastGet = map[string]login.Response{}
		}
		stale, dup := w.Chaos()
		if prev, ok := w.lastGet[r.Path]; ok && stale && !w.wasStale {
			resp = prev
			w.wasStale = true
		} else {
			w.wasStale = false
			if resp.Status == 200 {
				w.lastGet[r.Path] = resp
			}
		}
		if dup {
			w.At(w.now+1500, toN, login.Input{Kind: login.InputResponse, ID: r.ID, Response: resp})
		}
	}
	w.At(w.now, toN, login.Input{Kind: login.InputResponse, ID: r.ID, Response: resp})
}

// state logs a state change, notes a revisit and fires the forgery.
func (w *World) state(toN bool, f login.Effect) {
	i := 0
	if toN {
		i = 1
	}
	if w.visited[i] == nil {
		w.visited[i] = map[login.State]bool{}
	}
	if w.visited[i][f.To] && w.revisited == "" {
		w.revisited = who(toN) + " " + f.To.String()
	}
	w.visited[i][f.To] = true
	w.logf("%6d %s %s -> %s\n", w.now, who(toN), f.From, f.To)
	if g := w.U.Forge; g != nil && !w.forged && g.ByN == toN && f.To == g.When {
		w.forged = true
		w.Do(w.now, func() { w.sendForged(g) })
	}
}

// channel logs a sealed or opened message and notes secrets sealed before
// the check code was confirmed on G.
func (w *World) channel(toN bool, f login.Effect) {
	dir := "opened"
	if f.Sealed {
		dir = "sealed"
	}
	w.logf("%6d %s %s %s\n", w.now, who(toN), dir, f.MsgType)
	if f.Sealed && f.MsgType == msg.TypeSecrets {
		g := w.N.Facts()
		if !w.NIsG {
			g = w.E.Facts()
		}
		if !g.CodeConfirmed {
			w.earlySecrets = true
		}
	}
}

// screen logs what a device shows or asks and schedules the user's answer.
func (w *World) screen(toN bool, f login.Effect) {
	switch f.Kind {
	case login.EffectShowQR:
		w.logf("%6d %s shows QR (%d bytes)\n", w.now, who(toN), len(f.Data))
	case login.EffectShowCheckCode:
		w.logf("%6d %s shows check code %s\n", w.now, who(toN), f.Text)
	case login.EffectAskCheckCode:
		w.logf("%6d %s asks for the check code\n", w.now, who(toN))
	case login.EffectOpenBrowser:
		w.logf("%6d E opens %s\n", w.now, f.Text)
	case login.EffectShowUserCode:
		w.logf("%6d %s shows user code %s\n", w.now, who(toN), f.Text)
	case login.EffectAskConfirmAccount:
		w.logf("%6d %s asks to confirm account %s\n", w.now, who(toN), f.Text)
	case login.EffectOutcome:
		w.logf("%6d %s outcome %s %s\n", w.now, who(toN), f.Outcome, f.Outcome.Detail)
	}
	w.U.React(toN, f, w.schedule)
}

// schedule queues one of the user's reactions.
func (w *World) schedule(r Reaction) {
	switch {
	case r.Consent:
		w.Do(w.now+r.After, w.consent)
	case r.In.Kind == login.InputCheckCode:
		w.logf("%6d user will type %s on %s\n", w.now, r.In.Text, who(r.ToN))
		w.At(w.now+r.After, r.ToN, r.In)
	default:
		w.At(w.now+r.After, r.ToN, r.In)
	}
}

// sendForged carries out the forgery g (see Forgery).
func (w *World) sendForged(g *Forgery) {
	var m Machine = w.E
	if g.ByN {
		m = w.N
	}
	w.logf("%6d %s forges %s\n", w.now, who(g.ByN), g.Plaintext)
	fx, err := g.Put(m, w.now, g.Plaintext)
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("forgery by %s at %d: %w", who(g.ByN), w.now, err)
		}
		return
	}
	w.effects(g.ByN, fx)
}

// consent is the user at the provider in E's browser.
func (w *World) consent() {
	grant, _ := w.PendingGrant()
	action := oauth.ActionConsent
	if w.U.DenyConsent {
		action = oauth.ActionReject
	}
	kind := w.Consent(w.now, grant, action)
	w.logf("%6d user %s at the provider: %s\n", w.now, action, kind)
}

// Serve answers r from Env at once, through the user's faults, and logs
// the exchange.
func (w *World) Serve(r login.Request) login.Response {
	switch r.Target {
	case login.TargetRendezvous:
		resp := w.Route(w.now, r)
		if w.U.TamperRendezvous != nil && r.Method == "GET" {
			resp.Body = w.U.TamperRendezvous(r.Path, resp.Body)
		}
		if w.U.RewriteRendezvous != nil {
			resp = w.U.RewriteRendezvous(r, resp)
		}
		w.logf("%6d   rendezvous %s %s -> %d\n", w.now, r.Method, r.Path, resp.Status)
		return resp
	case login.TargetHomeserver:
		if w.PreAddDevice && strings.HasPrefix(r.Path, homeserver.PathDevicesPrefix) {
			return login.Response{Status: 200, Body: []byte(`{"device_id":"X"}`)}
		}
		return w.passOn("homeserver", r, w.Route(w.now, r), w.U.RewriteHS)
	case login.TargetOP:
		return w.passOn("op", r, w.Route(w.now, r), w.U.RewriteOP)
	}
	return login.Response{}
}

// passOn lets the test's rewrite replace a server's answer and logs it.
func (w *World) passOn(server string, r login.Request, out login.Response,
	rewrite func(login.Request, login.Response) login.Response) login.Response {
	if rewrite != nil {
		out = rewrite(r, out)
	}
	if !w.Quiet { // spare benchmarks the boxing of the arguments
		w.logf("%6d   %s %s %s -> %d\n", w.now, server, r.Method, r.Path, out.Status)
	}
	return out
}
