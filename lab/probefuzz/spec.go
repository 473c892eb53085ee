package probefuzz

import (
	"fmt"

	"qrlab/model/rendezvous"
)

// The sequential spec check: next to the model's store, each session a
// sequence made keeps its abstract state (rendezvous.SessionSpec: payload,
// version, expiry, transaction outcomes), and every plain read, write and
// delete the server answers is checked against SessionSpec.Step. The store
// answers the same way whenever it follows its spec, so against serve this
// checks the store itself; against another server it says what the answer
// means (a conflict where the spec writes, a payload the spec never held).

// specSlot is the abstract state of one session of the sequence.
type specSlot struct {
	st rendezvous.SessionSpec
	// known: every request that touched the session was one the spec
	// models (no race, no mutation that may have changed it).
	known bool
	gone  bool
	// seen maps the server's tokens to the state they were handed out
	// for.
	seen map[string]specSeen
}

type specSeen struct {
	version uint64
	data    string
}

func (s *specSlot) clone() *specSlot {
	c := *s
	c.seen = make(map[string]specSeen, len(s.seen))
	for k, v := range s.seen {
		c.seen[k] = v
	}
	return &c
}

// specActive says whether the spec check applies to the configuration:
// not with tokens that hash the write's millisecond (which version a
// repeated token names depends on the clock).
func (rn *run) specActive() bool { return rn.cfg.Token != rendezvous.TokenContentTimeHash }

// checkSpec checks the server's answer a to the step's request (to
// session slot idx, with token tok, the server's, both as before the step) against the session's spec,
// then moves the spec on. raced: the request raced another, in an order
// the spec cannot know.
func (rn *run) checkSpec(i int, st *Step, idx int, tok string, a *Answer, at int64, raced bool) *Disagreement {
	for len(rn.specs) < len(rn.srv.slots) {
		rn.specs = append(rn.specs, &specSlot{})
	}
	if !rn.specActive() {
		return nil
	}
	rules := rendezvous.RulesOf(rn.cfg)
	plain := len(st.Muts) == 0 && (st.Op == "create" || st.Op == "read" || st.Op == "write" || st.Op == "delete")
	if !plain && st.Op != "create" && a.Status/100 == 2 {
		// A request the spec does not model was accepted: whatever it
		// did to the step's session, the spec no longer knows it.
		if idx >= 0 && idx < len(rn.specs) {
			rn.specs[idx].known = false
		}
	}
	switch st.Op {
	case "create":
		if len(st.Muts) == 0 && !raced && a.Status/100 == 2 && len(rn.specs) > 0 {
			sl := rn.srv.slots[len(rn.srv.slots)-1]
			sp := rn.specs[len(rn.specs)-1]
			if sp.seen == nil {
				*sp = specSlot{st: rendezvous.NewSessionSpec(rules, rendezvous.Millis(at), st.Data), known: true,
					seen: map[string]specSeen{sl.toks[0]: {rules.FirstSequence, st.Data}}}
			}
		}
		return nil
	case "read", "write", "delete":
	default:
		return nil
	}
	if idx < 0 || idx >= len(rn.specs) || !rn.specs[idx].known || rn.specs[idx].gone {
		return nil
	}
	sp := rn.specs[idx]
	if raced || len(st.Muts) > 0 {
		if raced || a.Status/100 == 2 || rn.cfg.Idempotency == rendezvous.IdempotencyTxnID {
			sp.known = false
		}
		return nil
	}
	if a.Status == 400 || a.Status == 413 {
		// Refused as malformed (an empty ETag, say): a request the spec
		// does not model, which changes nothing.
		return nil
	}
	op := rendezvous.Op{Kind: map[string]rendezvous.OpKind{"read": rendezvous.OpRead, "write": rendezvous.OpWrite,
		"delete": rendezvous.OpDelete}[st.Op], Data: st.Data}
	if st.Cond {
		op.Kind = rendezvous.OpReadIfChanged
	}
	if rn.cfg.Idempotency == rendezvous.IdempotencyTxnID {
		op.Txn = st.Txn
	}
	if s, ok := sp.seen[tok]; ok && tok != "" {
		op.SeenVersion, op.SeenData = s.version, s.data
	} else {
		op.Foreign = true
	}
	next, exists, out := sp.st.Step(rendezvous.Millis(at), rules, op)
	if want := specStatus(st.Op, out.Kind); !want(a.Status) {
		return &Disagreement{Step: i, What: "spec", Server: a,
			Detail: fmt.Sprintf("the sequential spec says %s, the server answered %d", outcomeName(out.Kind), a.Status)}
	}
	sp.st, sp.gone = next, !exists
	if sl := rn.srv.slots[idx]; exists {
		sp.seen[sl.toks[len(sl.toks)-1]] = specSeen{next.Version, next.Data}
	}
	return nil
}

// specStatus is which statuses answer an outcome.
func specStatus(op string, k rendezvous.OutcomeKind) func(int) bool {
	switch k {
	case rendezvous.OutcomeData:
		return func(s int) bool { return s == 200 }
	case rendezvous.OutcomeNotModified:
		return func(s int) bool { return s == 304 }
	case rendezvous.OutcomeWritten, rendezvous.OutcomeUnchanged, rendezvous.OutcomeDeleted:
		return func(s int) bool { return s/100 == 2 }
	case rendezvous.OutcomeConflict:
		return func(s int) bool { return s == 409 || s == 412 }
	}
	return func(s int) bool { return s == 404 }
}

func outcomeName(k rendezvous.OutcomeKind) string {
	return map[rendezvous.OutcomeKind]string{rendezvous.OutcomeData: "the payload", rendezvous.OutcomeNotModified: "not modified",
		rendezvous.OutcomeWritten: "written", rendezvous.OutcomeUnchanged: "unchanged (a retry)", rendezvous.OutcomeConflict: "a conflict",
		rendezvous.OutcomeDeleted: "deleted", rendezvous.OutcomeNotFound: "not found"}[k]
}
