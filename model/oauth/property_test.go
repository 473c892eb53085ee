package oauth

import (
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// A property test: any interleaving of device authorizations, polls, clock
// advances, Allow and Deny goes to a Server, and a reference model that
// knows only the rules predicts every poll's answer. Beyond agreeing with
// the model, the provider must never issue a token before consent, never
// issue two tokens for one device code, and send slow_down exactly to the
// pending polls sooner than the grant's current interval after the previous
// poll (when the knob is on).

// mgrant is the model's view of one grant.
type mgrant struct {
	da       deviceAuth
	created  Millis
	state    GrantState // pending, approved, denied or consumed; expiry is derived
	interval Millis
	polled   bool
	last     Millis
	tokens   int
}

type propMachine struct {
	cfg      Config
	h        *harness
	now      Millis
	grants   []*mgrant
	seen     int // effects already checked
	browsers int
	// approved and issued per grant ID, from the effects
	approved map[string]bool
	issued   map[string]int
}

func (m *propMachine) expired(g *mgrant) bool { return m.now > g.created+m.cfg.ExpiresIn }

// expect is the model's answer to a poll of g at m.now, and its own update.
func (m *propMachine) expect(g *mgrant) string {
	status := strconv.Itoa(m.cfg.PollErrorStatus)
	prev, polled := g.last, g.polled
	g.polled, g.last = true, m.now
	if m.expired(g) {
		return status + " " + ErrorExpiredToken
	}
	switch g.state {
	case GrantApproved:
		g.state = GrantConsumed
		g.tokens++
		return "200 token"
	case GrantDenied:
		return status + " " + m.cfg.DeniedError
	case GrantConsumed:
		return "400 " + ErrorInvalidGrant
	}
	tooFast := polled && m.now-prev < g.interval ||
		!polled && m.cfg.FirstPollCountsFromIssue && m.now-g.created < g.interval
	if m.cfg.SlowDown && tooFast {
		g.interval += m.cfg.SlowDownStep
		return status + " " + ErrorSlowDown
	}
	return status + " " + ErrorAuthorizationPending
}

func (m *propMachine) check(t *rapid.T) {
	// Effects: a token only after Allow, at most one per grant.
	for _, e := range m.h.fx[m.seen:] {
		switch e.Kind {
		case EffectApproved:
			m.approved[e.Grant] = true
		case EffectTokenIssued:
			if !m.approved[e.Grant] {
				t.Fatalf("token issued for grant %s before consent", e.Grant)
			}
			m.issued[e.Grant]++
			if m.issued[e.Grant] > 1 {
				t.Fatalf("two tokens issued for grant %s", e.Grant)
			}
		}
	}
	m.seen = len(m.h.fx)
	for i, g := range m.grants {
		sg, ok := m.h.srv.Grant(g.da.DeviceCode)
		if !ok {
			t.Fatalf("grant %d vanished", i)
		}
		want := g.state
		if m.expired(g) && g.state != GrantConsumed {
			want = GrantExpired
		}
		if got := sg.EffectiveState(m.now); got != want {
			t.Fatalf("grant %d at %d: state %v, model %v", i, m.now, got, want)
		}
		if sg.Interval != g.interval {
			t.Fatalf("grant %d: interval %d, model %d", i, sg.Interval, g.interval)
		}
		if g.tokens > 1 {
			t.Fatalf("grant %d: %d tokens", i, g.tokens)
		}
	}
}

func (m *propMachine) authorize(t *rapid.T) {
	if len(m.grants) >= 3 {
		t.Skip("enough grants")
	}
	r, da := m.h.authorize(m.now, testScope("DEV"+strconv.Itoa(len(m.grants))))
	if r.Status != 200 {
		t.Fatalf("authorize: %d %s", r.Status, r.Body)
	}
	m.grants = append(m.grants, &mgrant{da: da, created: m.now, state: GrantPending, interval: m.cfg.Interval})
}

func (m *propMachine) pick(t *rapid.T) *mgrant {
	if len(m.grants) == 0 {
		t.Skip("no grant yet")
	}
	return m.grants[rapid.IntRange(0, len(m.grants)-1).Draw(t, "grant")]
}

func (m *propMachine) poll(t *rapid.T) {
	g := m.pick(t)
	got := outcome(t, m.h.poll(m.now, g.da.DeviceCode))
	if want := m.expect(g); got != want {
		t.Fatalf("poll at %d ms: got %q, model %q", m.now, got, want)
	}
}

func (m *propMachine) decide(t *rapid.T, action string) {
	g := m.pick(t)
	m.browsers++ // a fresh browser each time: the link page's attempt limit has its own test
	sess := Session{UserID: "@u:lab.example", Browser: strconv.Itoa(m.browsers)}
	link := pathOf(m.h.srv.URL(PathLink))
	_, page := m.h.browse(m.now, "POST", link, sess, EncodeForm("code", g.da.UserCode))
	if m.expired(g) || g.state != GrantPending {
		// Only pending codes resolve on the link page.
		if page.Kind != PageEnterCode || page.Error != "invalid" {
			t.Fatalf("link page for a %v grant: %+v", g.state, page)
		}
		return
	}
	if page.Kind != PageRedirect {
		t.Fatalf("link page for a pending grant: %+v", page)
	}
	_, page = m.h.browse(m.now, "GET", pathOf(page.Location), sess, nil)
	if page.Kind != PageConsent {
		t.Fatalf("consent page: %+v", page)
	}
	page = m.h.decide(m.now, page, action, sess)
	if action == ActionConsent {
		g.state = GrantApproved
	} else {
		g.state = GrantDenied
	}
	if page.Kind != PageApproved && page.Kind != PageDenied {
		t.Fatalf("decision page: %+v", page)
	}
}

// gap draws a clock step: anything up to 25 s, or one just around a
// multiple of 5 s, where the slow_down and expiry boundaries lie.
func gap() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64Range(0, 25000),
		rapid.Custom(func(t *rapid.T) int64 {
			return 5000*rapid.Int64Range(0, 4).Draw(t, "fives") + rapid.Int64Range(-1, 1).Draw(t, "nudge")
		}).Filter(func(v int64) bool { return v >= 0 }),
	)
}

func TestPollingProperties(t *testing.T) {
	short := func(c Config) Config { c.ExpiresIn = 60 * Second; return c }
	firstPoll := short(PresetRFC8628())
	firstPoll.Name += "+first-poll-from-issue"
	firstPoll.FirstPollCountsFromIssue = true
	configs := []Config{short(PresetRFC8628()), short(PresetMAS()), short(PresetMSC4108Text()), firstPoll}
	for _, cfg := range configs {
		t.Run(cfg.Name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				m := &propMachine{
					cfg:      cfg,
					h:        newHarness(t, cfg, rapid.Uint64().Draw(t, "seed")),
					approved: map[string]bool{},
					issued:   map[string]int{},
				}
				t.Repeat(map[string]func(*rapid.T){
					"authorize": m.authorize,
					"poll":      m.poll,
					"advance": func(t *rapid.T) {
						m.now += Millis(gap().Draw(t, "ms"))
					},
					"allow": func(t *rapid.T) { m.decide(t, ActionConsent) },
					"deny":  func(t *rapid.T) { m.decide(t, ActionReject) },
					"":      m.check,
				})
			})
		})
	}
}

// TestSlowDownIffTooFast states the slow_down rule on its own, over random
// poll schedules of one grant nobody approves.
func TestSlowDownIffTooFast(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := PresetRFC8628()
		cfg.SlowDown = rapid.Bool().Draw(t, "slow_down")
		h := newHarness(t, cfg, 5)
		_, da := h.authorize(0, testScope("D"))
		interval, last, now := cfg.Interval, Millis(0), Millis(0)
		gaps := rapid.SliceOfN(gap(), 1, 40).Draw(t, "gaps")
		for i, gap := range gaps {
			now += Millis(gap)
			if now > cfg.ExpiresIn {
				break
			}
			got := outcome(t, h.poll(now, da.DeviceCode))
			tooFast := i > 0 && now-last < interval
			sent := got == "400 slow_down"
			if sent != (cfg.SlowDown && tooFast) {
				t.Fatalf("poll %d at %d ms, %d ms after the last, interval %d: %s (knob %v)", i, now, now-last, interval, got, cfg.SlowDown)
			}
			if sent {
				interval += 5 * Second
			} else if got != "400 authorization_pending" {
				t.Fatalf("poll %d: %s", i, got)
			}
			last = now
		}
		g, _ := h.srv.Grant(da.DeviceCode)
		if g.Interval != interval {
			t.Fatalf("interval %d, want %d", g.Interval, interval)
		}
	})
}
