package peerfuzz

import (
	"math/rand/v2"
)

// texts are the plaintexts steps seal: the protocol's own, empty, long,
// non-ASCII, JSON.
var texts = []string{
	"MATRIX_QR_CODE_LOGIN_INITIATE", "MATRIX_QR_CODE_LOGIN_OK", "", "x",
	`{"type":"m.login.protocols","protocols":["device_authorization_grant"],"homeserver":"https://hs.example"}`,
	"grüße ✓ 🔑", "a\nb\tc\"d\\",
}

// genState is what the generator knows of the sequence so far.
type genState struct {
	roles   []string // the peer's role per session
	started []bool   // whether the handshake was attempted
	pool    []int    // the IDs of the steps that made payloads
}

// Generate draws a sequence of about n steps from r; aad says whether the
// peer takes additional data.
func Generate(r *rand.Rand, n int, aad bool) []Step {
	g := &genState{}
	var steps []Step
	add := func(st Step, pooled bool) {
		st.ID = len(steps)
		if pooled {
			g.pool = append(g.pool, st.ID)
		}
		steps = append(steps, st)
	}
	text := func() string { return texts[r.IntN(len(texts))] }
	mut := func() (string, int) {
		if r.IntN(3) == 0 {
			return "", 0
		}
		return Mutations[1+r.IntN(len(Mutations)-1)], r.IntN(1 << 20)
	}
	aadPair := func() (string, string) {
		if !aad || r.IntN(4) != 0 {
			return "", ""
		}
		a := []string{"", "bind-1", "bind-2"}
		return a[r.IntN(3)], a[r.IntN(3)]
	}
	newSession := func() {
		role := "generator"
		if r.IntN(2) == 0 {
			role = "scanner"
		}
		add(Step{Kind: "new", S: len(g.roles), Role: role}, false)
		g.roles = append(g.roles, role)
		g.started = append(g.started, false)
	}
	newSession()
	for len(steps) < n {
		s := r.IntN(len(g.roles))
		if !g.started[s] || r.IntN(8) == 0 {
			g.started[s] = true
			g.handshake(r, s, text(), mut, aadPair, add)
			continue
		}
		a, b := aadPair()
		switch k := r.IntN(20); {
		case k < 5: // the counterpart seals, the peer opens (maybe later)
			add(Step{Kind: "seal", S: s, Text: text(), SealAAD: b}, true)
			if r.IntN(4) != 0 {
				m, arg := mut()
				add(Step{Kind: "deliver", S: s, From: g.last(), Mut: m, Arg: arg, AAD: a}, false)
			}
		case k < 9: // the peer seals, the counterpart opens
			add(Step{Kind: "send", S: s, Text: text(), AAD: a}, true)
			m, arg := mut()
			add(Step{Kind: "cpopen", S: s, From: g.last(), Mut: m, Arg: arg, SealAAD: b}, false)
		case k < 13 && len(g.pool) > 0: // replayed, reordered, reflected, moved
			m, arg := mut()
			add(Step{Kind: "deliver", S: s, From: g.pool[r.IntN(len(g.pool))], Mut: m, Arg: arg, AAD: a}, false)
		case k < 15:
			add(Step{Kind: "check", S: s}, false)
		case k < 17:
			add(Step{Kind: "raw", S: s, Raw: rawLines[r.IntN(len(rawLines))]}, false)
		case k < 19 && len(g.roles) < 3:
			newSession()
		default:
			add(Step{Kind: "close", S: s}, false)
		}
	}
	return steps
}

// handshake adds the steps that set session s up, maybe with a mutated
// first payload.
func (g *genState) handshake(r *rand.Rand, s int, text string, mut func() (string, int), aadPair func() (string, string), add func(Step, bool)) {
	a, b := aadPair()
	m, arg := "", 0
	if r.IntN(4) == 0 {
		m, arg = mut()
	}
	if g.roles[s] == "generator" {
		add(Step{Kind: "initiate", S: s, Text: text, SealAAD: b}, true)
		add(Step{Kind: "deliver", S: s, From: g.last(), Mut: m, Arg: arg, AAD: a}, false)
		return
	}
	add(Step{Kind: "establish", S: s, Text: text, AAD: a}, true)
	add(Step{Kind: "cpopen", S: s, From: g.last(), Mut: m, Arg: arg, SealAAD: b}, false)
}

// last is the ID of the newest payload.
func (g *genState) last() int { return g.pool[len(g.pool)-1] }
