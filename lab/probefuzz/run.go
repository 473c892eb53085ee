package probefuzz

import (
	"maps"
	"slices"
	"strings"

	"qrlab/model/rendezvous"
)

// pairing records which of the server's tokens stands for which of the
// model's, per session: a token must keep standing for one model token,
// and the model's distinct tokens must get distinct server tokens.
type pairing struct{ s2m, m2s map[string]string }

func (p *pairing) clone() *pairing {
	return &pairing{s2m: maps.Clone(p.s2m), m2s: maps.Clone(p.m2s)}
}

// run is one sequence against one configuration of the model.
type run struct {
	cfg   rendezvous.Config
	tol   int64
	seed  uint64
	srv   *side
	mdl   *side
	pairs []*pairing
	sh    *shadow
	specs []*specSlot
}

// maxWorlds bounds the states a sequence keeps when races leave the
// server's order open.
const maxWorlds = 8

// exec runs steps through x, checking every answer against the model of
// cfg, and stops at the first disagreement. A race whose answers both
// orders explain, leaving the model in different states, keeps both
// states (worlds) until a later answer tells them apart.
func exec(cfg rendezvous.Config, seed uint64, tol int64, steps []Step, x exchanger) Outcome {
	worlds := []*run{{cfg: cfg, tol: tol, seed: seed, srv: newSide(cfg), mdl: newSide(cfg)}}
	var out Outcome
	defer func() {
		for _, sl := range worlds[0].srv.slots {
			if !sl.gone {
				out.Cleanup = append(out.Cleanup, sl.path)
			}
		}
	}()
	for i := range steps {
		st := &steps[i]
		sreqs := worlds[0].srv.renderAll(st)
		ex := x.exchange(sreqs, st.Race != nil)
		out.Exchanges = append(out.Exchanges, ex)
		out.Requests += len(sreqs)
		if d := health(i, st, ex); d != nil {
			out.Bad = d
			return out
		}
		if st.Op == "garbage" {
			continue
		}
		var next []*run
		var first *Disagreement
		for k, w := range worlds {
			if k > 0 && !slices.EqualFunc(w.srv.renderAll(st), sreqs, sameRequest) {
				continue // this world would have sent other requests
			}
			if w.sh == nil {
				sh, err := newShadow(cfg, seed, ex.At)
				if err != nil {
					out.Bad = &Disagreement{Step: i, What: "model", Detail: err.Error()}
					return out
				}
				w.sh = sh
			}
			ok, d := w.settle(i, st, ex)
			if first == nil {
				first = d
			}
			next = append(next, ok...)
		}
		if len(next) == 0 {
			out.Bad = first
			return out
		}
		worlds = next[:min(len(next), maxWorlds)]
	}
	return out
}

func sameRequest(a, b *Request) bool {
	return a.Method == b.Method && a.Target == b.Target && slices.Equal(a.Header, b.Header) && string(a.Body) == string(b.Body) &&
		a.Chunked == b.Chunked && a.NoLength == b.NoLength && string(a.Raw) == string(b.Raw)
}

func (s *side) renderAll(st *Step) []*Request {
	r := s.render(st)
	switch {
	case st.Race != nil:
		return []*Request{r, s.render(st.Race)}
	case st.Dup:
		return []*Request{r, r}
	}
	return []*Request{r}
}

// health is what every answer must be: an answer, in time, not a 5xx.
func health(i int, st *Step, ex Exchange) *Disagreement {
	for _, a := range ex.Answers {
		switch {
		case a == nil:
			return &Disagreement{Step: i, What: "no answer", Detail: "the transcript ends here"}
		case a.Hung:
			return &Disagreement{Step: i, What: "hang", Detail: a.Err, Server: a}
		case a.Status >= 500:
			return &Disagreement{Step: i, What: "5xx", Detail: string(a.Body), Server: a}
		case a.Err != "" && st.Op != "garbage":
			return &Disagreement{Step: i, What: "no answer", Detail: a.Err, Server: a}
		case st.Op == "garbage" && a.Err == "" && a.Status < 400:
			return &Disagreement{Step: i, What: "malformed HTTP accepted", Detail: string(a.Body), Server: a}
		}
	}
	return nil
}

// settle runs the step's requests through the model and compares. It
// returns the worlds that explain the answers (a race: each order that
// does), or the first disagreement.
func (rn *run) settle(i int, st *Step, ex Exchange) ([]*run, *Disagreement) {
	steps := []*Step{st, st}
	if st.Race != nil {
		steps[1] = st.Race
	}
	mreqs := rn.mdl.renderAll(st)
	if st.Race == nil {
		order := []int{0}
		if st.Dup {
			order = []int{0, 1}
		}
		if d := rn.try(i, steps, order, ex, mreqs); d != nil {
			return nil, d
		}
		return []*run{rn}, nil
	}
	var ok []*run
	var first *Disagreement
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		w, err := rn.clone()
		if err != nil {
			return nil, &Disagreement{Step: i, What: "model", Detail: err.Error()}
		}
		if d := w.try(i, steps, order, ex, mreqs); d != nil {
			if first == nil {
				first = d
			}
			continue
		}
		ok = append(ok, w)
	}
	return ok, first
}

// clone is a copy of the world that changes apart from it.
func (rn *run) clone() (*run, error) {
	c := *rn
	c.srv, c.mdl = rn.srv.clone(), rn.mdl.clone()
	c.pairs = make([]*pairing, len(rn.pairs))
	for i, p := range rn.pairs {
		c.pairs[i] = p.clone()
	}
	c.specs = make([]*specSlot, len(rn.specs))
	for i, sp := range rn.specs {
		c.specs[i] = sp.clone()
	}
	sh := *rn.sh
	sh.log = slices.Clone(rn.sh.log)
	c.sh = &sh
	return &c, sh.rebuild()
}

func (rn *run) try(i int, steps []*Step, order []int, ex Exchange, mreqs []*Request) *Disagreement {
	// Both requests were rendered before either was sent: their sessions
	// and tokens are the ones before the step.
	toks := []string{rn.srv.token(steps[0]), rn.srv.token(steps[1])}
	_, s0 := rn.mdl.slot(steps[0].Slot)
	_, s1 := rn.mdl.slot(steps[1].Slot)
	slots := []int{s0, s1}
	for _, k := range order {
		m := rn.sh.apply(ex.At, modelRequest(mreqs[k]))
		if d := rn.compare(i, steps[k], slots[k], mreqs[k], ex.Answers[k], m); d != nil {
			return d
		}
		if d := rn.checkSpec(i, steps[k], slots[k], toks[k], ex.Answers[k], ex.At, len(order) == 2 && steps[0] != steps[1]); d != nil {
			return d
		}
	}
	return nil
}

func (s *side) clone() *side {
	c := *s
	c.slots = make([]*slot, len(s.slots))
	for i, sl := range s.slots {
		cp := *sl
		cp.toks = slices.Clone(sl.toks)
		c.slots[i] = &cp
	}
	return &c
}

// effective is the operation the request still is after its mutations
// ("" when a mutation made it another).
func effective(st *Step, r *Request) string {
	want := map[string]string{"create": "POST", "read": "GET", "write": "PUT", "delete": "DELETE", "discover": "GET"}[st.Op]
	if r.Method != want {
		return ""
	}
	return st.Op
}

// slotOf is the session slot the step's answer speaks of: a new one for a
// create, else the step's (slot, resolved before the step).
func (rn *run) slotOf(op string, slot int) int {
	if op == "create" {
		return len(rn.mdl.slots)
	}
	return slot
}

// pair checks and records that server token s stands for model token m in
// session slot i.
func (rn *run) pair(i int, s, m string) string {
	if rn.cfg.Token == rendezvous.TokenContentTimeHash {
		// Whether two writes share such a token depends on the
		// millisecond each lands in, which no sequential model knows.
		return ""
	}
	for len(rn.pairs) <= i {
		rn.pairs = append(rn.pairs, &pairing{s2m: map[string]string{}, m2s: map[string]string{}})
	}
	p := rn.pairs[i]
	if prev, ok := p.s2m[s]; ok && prev != m {
		return "the server's token " + quote(s) + " stands for two of the model's (" + quote(prev) + ", " + quote(m) + ")"
	}
	if prev, ok := p.m2s[m]; ok && prev != s {
		return "the server answers " + quote(s) + " where the model repeats the token it answered as " + quote(prev)
	}
	p.s2m[s], p.m2s[m] = m, s
	return ""
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
