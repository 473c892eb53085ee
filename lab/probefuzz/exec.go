package probefuzz

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"qrlab/internal/seeded"
	"qrlab/model/rendezvous"
)

// Exchange is one step on the wire: the requests sent to the server (one;
// two for a race or a duplicate) and its answers, at the model's clock.
type Exchange struct {
	At      int64      `json:"at_ms"`
	Reqs    []*Request `json:"requests"`
	Answers []*Answer  `json:"answers"`
}

// exchanger sends a step's requests.
type exchanger interface {
	exchange(reqs []*Request, race bool) Exchange
}

// wireX sends to a live server. A race's two requests go at the same time
// over two connections; with serial set they go one after the other over
// the same two connections, in the order serial gives for the race (true:
// the second one first), so that the server's order is the caller's.
type wireX struct {
	c      *Client
	now    func() time.Time
	serial func(race int) bool
	races  int
}

func (w *wireX) exchange(reqs []*Request, race bool) Exchange {
	x := Exchange{At: w.now().UnixMilli(), Reqs: reqs, Answers: make([]*Answer, len(reqs))}
	switch {
	case race && w.serial != nil:
		order := []int{0, 1}
		if w.serial(w.races) {
			order = []int{1, 0}
		}
		w.races++
		for _, i := range order {
			x.Answers[i] = w.c.Do(i, reqs[i])
		}
	case race:
		var wg sync.WaitGroup
		for i := range reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				x.Answers[i] = w.c.Do(i, reqs[i])
			}()
		}
		wg.Wait()
	default:
		for i, r := range reqs {
			x.Answers[i] = w.c.Do(0, r)
		}
	}
	return x
}

// recorded plays a transcript back (to classify a disagreement against
// other configurations without asking the server again).
type recorded struct {
	xs []Exchange
	i  int
}

func (r *recorded) exchange(reqs []*Request, race bool) Exchange {
	if r.i >= len(r.xs) {
		return Exchange{Answers: make([]*Answer, len(reqs))}
	}
	x := r.xs[r.i]
	r.i++
	return x
}

// shadow is the model's store for one sequence, rebuilt from its log when a
// race must be tried in the other order.
type shadow struct {
	cfg   rendezvous.Config
	seed  uint64
	start int64
	store *rendezvous.Store
	log   []shadowEntry
}

type shadowEntry struct {
	at  int64
	req *rendezvous.Request
}

func newShadow(cfg rendezvous.Config, seed uint64, start int64) (*shadow, error) {
	sh := &shadow{cfg: cfg, seed: seed, start: start}
	return sh, sh.rebuild()
}

func (sh *shadow) rebuild() error {
	st, err := rendezvous.New(sh.cfg, rendezvous.Millis(sh.start), seeded.Stream(sh.seed))
	if err != nil {
		return err
	}
	sh.store = st
	for _, e := range sh.log {
		sh.store.Tick(rendezvous.Millis(e.at))
		sh.store.Handle(rendezvous.Millis(e.at), e.req)
	}
	return nil
}

func (sh *shadow) apply(at int64, req *rendezvous.Request) *Answer {
	sh.store.Tick(rendezvous.Millis(at))
	resp, _ := sh.store.Handle(rendezvous.Millis(at), req)
	sh.log = append(sh.log, shadowEntry{at, req})
	a := &Answer{Status: resp.Status, Body: append([]byte(nil), resp.Body...)}
	for _, f := range resp.Header {
		a.Header = append(a.Header, [2]string{f.Name, f.Value})
	}
	return a
}

// modelRequest is the request as the model's store sees it: the lines the
// client sent, with the Content-Length it declared.
func modelRequest(r *Request) *rendezvous.Request {
	h := make(rendezvous.Header, 0, len(r.Header)+1)
	auth, authSeen := rendezvous.AuthNone, false
	for _, f := range r.Header {
		// HTTP strips the whitespace around a field value.
		h = append(h, rendezvous.Field{Name: f[0], Value: strings.Trim(f[1], " \t")})
		if strings.EqualFold(f[0], "Authorization") && !authSeen {
			// The first line counts, as a header lookup reads it.
			authSeen = true
			auth = rendezvous.AuthInvalid
			if f[1] == "Bearer "+accessToken {
				auth = rendezvous.AuthValid
			}
		}
	}
	body := r.Body
	switch {
	case r.NoLength:
		body = nil
	case !r.Chunked:
		h = append(h, rendezvous.Field{Name: "Content-Length", Value: fmt.Sprint(len(r.Body))})
	}
	return &rendezvous.Request{Method: r.Method, Path: r.Target, Header: h, Body: body, Auth: auth, Client: "probe-fuzz"}
}

// Disagreement is the first answer of a sequence that does not follow the
// spec.
type Disagreement struct {
	Step int `json:"step"`
	// What names the part at fault: "status", "5xx", "hang", "header
	// ETag", `member "data"`, "token", ...
	What   string  `json:"what"`
	Detail string  `json:"detail"`
	Server *Answer `json:"server"`
	Model  *Answer `json:"model,omitempty"`
}

// class is what makes two disagreements the same kind: the step's op and
// mutations and the part at fault.
func (d *Disagreement) class(steps []Step) string {
	st := steps[d.Step]
	k := st.Op
	for _, m := range st.Muts {
		k += "[" + m.Kind + ":" + m.Arg + "]"
	}
	if st.Race != nil {
		k += "+race(" + st.Race.Op + ")"
	}
	if st.Dup {
		k += "+dup"
	}
	return k + ": " + d.What
}

// Outcome is a sequence's run.
type Outcome struct {
	Exchanges []Exchange
	Requests  int
	Bad       *Disagreement
	// Cleanup lists the server's sessions the sequence left behind.
	Cleanup []string
}
