package sim

import "qrlab/model/login"

// nameCache keeps the event names a Runner builds again and again (a
// state change, a channel message, a request's method and path), so that
// each is concatenated once: the names are the same strings, byte for
// byte, as concatenating them every time.
type nameCache struct {
	states         map[uint16]string
	opened, sealed map[string]string
	reqs           []reqName // this run's requests (their paths carry the run's IDs)
}

type reqName struct{ method, path, name string }

// Bounds of what nameCache keeps, so that names an adversary makes up do
// not pile up run after run.
const (
	maxChannelNames = 64
	maxReqNames     = 32
)

// state is "from -> to".
func (n *nameCache) state(from, to login.State) string {
	k := uint16(from)<<8 | uint16(to)
	if s, ok := n.states[k]; ok {
		return s
	}
	s := from.String() + " -> " + to.String()
	if n.states == nil {
		n.states = make(map[uint16]string)
	}
	n.states[k] = s
	return s
}

// channel is "sealed T" or "opened T".
func (n *nameCache) channel(sealed bool, typ string) string {
	m, verb := &n.opened, "opened "
	if sealed {
		m, verb = &n.sealed, "sealed "
	}
	if s, ok := (*m)[typ]; ok {
		return s
	}
	s := verb + typ
	if *m == nil {
		*m = make(map[string]string)
	}
	if len(*m) < maxChannelNames {
		(*m)[typ] = s
	}
	return s
}

// request is "METHOD path".
func (n *nameCache) request(method, path string) string {
	for i := range n.reqs {
		if q := &n.reqs[i]; q.path == path && q.method == method {
			return q.name
		}
	}
	s := method + " " + path
	if len(n.reqs) < maxReqNames {
		n.reqs = append(n.reqs, reqName{method, path, s})
	}
	return s
}

// newRun forgets the last run's requests.
func (n *nameCache) newRun() {
	clear(n.reqs)
	n.reqs = n.reqs[:0]
}
