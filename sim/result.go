package sim

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"qrlab/model/login"
)

// Ending is how one device ended.
type Ending struct {
	Success bool   `json:"success"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	At      Millis `json:"t_ms"`
}

func record(o login.Outcome, at Millis) Ending {
	return Ending{Success: o.Success, Outcome: o.String(), Reason: string(o.Reason), At: at}
}

// Result is one run's summary: a record a report can aggregate.
type Result struct {
	Seed    uint64 `json:"seed"`
	Variant string `json:"variant"`
	Network string `json:"network"`
	Intent  string `json:"intent"`
	// New and Existing are the two devices' endings (zero if a device
	// never ended).
	New      Ending `json:"new"`
	Existing Ending `json:"existing"`
	// NewState and ExistingState are the machines' last states.
	NewState      string `json:"new_state"`
	ExistingState string `json:"existing_state"`
	// Agreement classifies the pair of endings: both-success,
	// both-failure, new-only (N signed in, E did not finish), existing-only
	// (E sent the secrets, N failed) or unfinished.
	Agreement string `json:"agreement"`
	// SignedInMillis is when N obtained its access token, SecretsMillis
	// when it opened m.login.secrets (-1: never).
	SignedInMillis Millis `json:"signed_in_ms"`
	SecretsMillis  Millis `json:"secrets_ms"`
	EndMillis      Millis `json:"end_ms"`
	// Messages counts sealed channel messages; Requests HTTP requests sent
	// (retries and browser loads included); Lost messages the network lost.
	Messages int `json:"messages"`
	Requests int `json:"requests"`
	Lost     int `json:"lost"`
	Steps    int `json:"steps"`
	Events   int `json:"events"`
	// Adversaries are the run's attackers; AdversaryActs counts what they
	// did, AdversaryBytes what they read; AttackerWon says what an attacker
	// obtained ("" nothing) and HumanFactor that it needed the user to
	// confirm a code they could not have seen.
	Adversaries    []string `json:"adversaries,omitempty"`
	AdversaryActs  int      `json:"adversary_acts,omitempty"`
	AdversaryBytes int      `json:"adversary_bytes,omitempty"`
	AttackerWon    string   `json:"attacker_won,omitempty"`
	HumanFactor    bool     `json:"human_factor,omitempty"`
	// Exposure says why an attacker's win is not a violation of the
	// protocol's claims: human-factor (the user confirmed a code they
	// could not have read on their own device), physical-access (the
	// attacker held an unlocked device), not-prevented (nothing in the
	// texts stops it) or unverifiable-consent (the consent page's code had
	// nothing to be compared with yet).
	Exposure string `json:"exposure,omitempty"`
	// Faults is what a swarm seed drew.
	Faults    string     `json:"faults,omitempty"`
	Violation *Violation `json:"violation,omitempty"`
	TraceHash string     `json:"trace_hash"`
	// RootCause is, for a login that failed, the first fault an honest
	// party met, as the simulator saw it: an HTTP error answer or a
	// timeout (with the request's method and path), the browser failing
	// to open, the user cancelling or declining. A timeout, transport
	// error, 429 or 5xx that a retry of the same request mended does not
	// count. "" when the login succeeded or failed with no such fault.
	RootCause string `json:"root_cause,omitempty"`
	// Phases are when the login reached each step; RequestKinds what its
	// requests were (both nil in records written before they existed).
	Phases       *Phases       `json:"phases,omitempty"`
	RequestKinds *RequestKinds `json:"request_kinds,omitempty"`
	// StoreCost is what the run cost the rendezvous server (nil in
	// records written before it was measured).
	StoreCost *StoreCost `json:"store_cost,omitempty"`
}

// probe reports whether a request is one whose error answer is expected:
// a discovery probe a client falls back from (auth metadata, versions,
// well-known), or the existing device asking whether the new device
// exists yet (404 until it does).
func probe(name string) bool {
	if !strings.HasPrefix(name, "GET ") {
		return false
	}
	for _, p := range []string{"/auth_metadata", "/auth_issuer", "/versions", "/.well-known/", "/devices/"} {
		if strings.Contains(name, p) {
			return true
		}
	}
	return false
}

// faultOf names the fault an event is, or "": an HTTP answer of 400 or
// more, a timeout or a transport error (a tcp connection reset, a NAT
// mapping lost), met by a device or the browser; a device failing on
// what its peer sent (invalid_qr, channel_integrity,
// unexpected_message_received, with the device's detail); the browser
// failing to open; the user cancelling, declining or rejecting.
func faultOf(e *Event) string {
	switch e.Kind {
	case EvRecv:
		if e.Actor != ActorNew && e.Actor != ActorExisting && e.Actor != ActorBrowser {
			return ""
		}
		switch {
		case e.Status >= 400 && probe(e.Name), (e.Status == 400 || e.Status == 403) && strings.HasPrefix(e.Name, "POST ") && strings.HasSuffix(e.Name, "/token"):
			// Expected error answers; the token endpoint answers the device
			// grant's polls authorization_pending until the user consents,
			// with 400 (RFC 8628) or 403 (MAS, oauth.Config.PollErrorStatus). A probe that timed out or broke is a fault like any
			// other request's (the existing device's last look for the new
			// device, lost, ends the login with device_not_found).
			return ""
		case e.Status >= 400:
			return "HTTP " + strconv.Itoa(e.Status) + " to " + e.Name + " (" + e.Actor.String() + ")"
		case e.Status == 0 && e.Detail == "timeout":
			return "timeout of " + e.Name + " (" + e.Actor.String() + ")"
		case e.Status == 0 && strings.HasPrefix(e.Detail, "transport error: "):
			return strings.TrimPrefix(e.Detail, "transport error: ") + " on " + e.Name + " (" + e.Actor.String() + ")"
		}
	case EvOutcome:
		// A device that could not read what its peer sent (a QR code, a
		// channel message) met the fault itself: no HTTP error precedes it.
		if e.Actor != ActorNew && e.Actor != ActorExisting {
			return ""
		}
		for _, r := range []string{"invalid_qr", "channel_integrity", "unexpected_message_received"} {
			if e.Name == "failure "+r {
				return r + ": " + opaqueQuotes(e.Detail) + " (" + e.Actor.String() + ")"
			}
		}
	case EvUser:
		switch e.Name {
		case "cannot open the verification URI", "cancels", "cancels the browser step", "rejects the account":
			return e.Actor.String() + " " + e.Name + " (" + e.Peer.String() + ")"
		}
	}
	return ""
}

// opaqueQuotes replaces each quoted string of s that holds an escaped
// byte (a QR code's random bytes) by "…", so that runs failing the same
// way read the same.
func opaqueQuotes(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			break
		}
		q := s[i : j+1]
		if strings.ContainsRune(q, '\\') {
			q = `"…"`
		}
		b.WriteString(s[:i])
		b.WriteString(q)
		s = s[j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// Success reports whether the new device signed in and got its secrets and
// the existing device sent them.
func (r *Result) Success() bool { return r.New.Success && r.Existing.Success }

func agreement(n login.Outcome, nEnded bool, e login.Outcome, eEnded bool) string {
	switch {
	case !nEnded || !eEnded:
		return "unfinished"
	case n.Success && e.Success:
		return "both-success"
	case n.Success:
		return "new-only"
	case e.Success:
		return "existing-only"
	}
	return "both-failure"
}

// Phases are when a login reached each of its steps, in virtual
// milliseconds since the run's start (-1: never): the QR code scanned,
// the secure channel up (LoginOk opened), the protocol agreed
// (m.login.protocol_accepted opened), the user choosing consent on the provider's page,
// the access token obtained, the secrets opened, the keys uploaded.
type Phases struct {
	Scan      Millis `json:"scan_ms"`
	ChannelUp Millis `json:"channel_up_ms"`
	Agreed    Millis `json:"agreed_ms"`
	Consent   Millis `json:"consent_ms"`
	Token     Millis `json:"token_ms"`
	Secrets   Millis `json:"secrets_ms"`
	Keys      Millis `json:"keys_ms"`
}

// RequestKinds splits the requests the honest parties sent: rendezvous
// polls (GET), rendezvous writes (POST, PUT, DELETE), retries (a request
// sent again after its last answer was a timeout, a transport error or a
// 5xx), token polls (POST to the token endpoint) and the rest.
type RequestKinds struct {
	Polls      int `json:"polls"`
	Writes     int `json:"writes"`
	Retries    int `json:"retries"`
	TokenPolls int `json:"token_polls"`
	Other      int `json:"other"`
}

// observer derives Phases and RequestKinds from a run's events as they
// are recorded.
type observer struct {
	ph     Phases
	kinds  RequestKinds
	failed map[requestKey]bool // actor and request whose last answer failed
	// failedShared: snapshots share failed (a snapshot or restore said
	// so; plan.go's sharedMaps), which is cloned before the next write.
	failedShared bool
}

// requestKey is one party's request ("POST /path"): a struct, so that the
// lookup per traced send and answer builds no string.
type requestKey struct {
	actor Actor
	name  string
}

func (o *observer) reset() {
	o.ph = Phases{-1, -1, -1, -1, -1, -1, -1}
	o.kinds = RequestKinds{}
	if o.failedShared {
		o.failed, o.failedShared = nil, false
	}
	clear(o.failed)
}

func first(t *Millis, at Millis) {
	if *t < 0 {
		*t = at
	}
}

func (o *observer) see(e *Event) {
	honest := e.Actor == ActorNew || e.Actor == ActorExisting || e.Actor == ActorBrowser
	switch {
	case e.Kind == EvUser && e.Actor == ActorUser && e.Name == "scans the QR code":
		first(&o.ph.Scan, e.At)
	case e.Kind == EvUser && e.Actor == ActorUser && e.Name == "chooses consent":
		first(&o.ph.Consent, e.At)
	case e.Kind == EvChannel && e.Name == "opened LoginOk" && honest:
		first(&o.ph.ChannelUp, e.At)
	case e.Kind == EvChannel && e.Name == "opened m.login.protocol_accepted" && honest:
		first(&o.ph.Agreed, e.At)
	case e.Kind == EvChannel && e.Name == "opened m.login.secrets" && e.Actor == ActorNew:
		first(&o.ph.Secrets, e.At)
	case e.Kind == EvRecv && e.Actor == ActorNew && e.Status == 200 && strings.HasPrefix(e.Name, "POST ") && strings.HasSuffix(e.Name, "/token"):
		first(&o.ph.Token, e.At)
	case e.Kind == EvRecv && e.Actor == ActorNew && e.Status == 200 && strings.HasSuffix(e.Name, "/keys/upload"):
		first(&o.ph.Keys, e.At)
	}
	if !honest {
		return
	}
	key := requestKey{e.Actor, e.Name}
	switch e.Kind {
	case EvRecv:
		switch {
		case o.failed == nil:
			o.failed = map[requestKey]bool{}
		case o.failedShared:
			o.failed, o.failedShared = maps.Clone(o.failed), false
		}
		o.failed[key] = e.Status == 0 || e.Status >= 500
	case EvSend:
		o.count(e.Name, o.failed[key])
	}
}

func (o *observer) count(name string, retry bool) {
	method, path, _ := strings.Cut(name, " ")
	switch {
	case retry:
		o.kinds.Retries++
	case strings.Contains(path, "/rendezvous") && method == "GET":
		o.kinds.Polls++
	case strings.Contains(path, "/rendezvous"):
		o.kinds.Writes++
	case method == "POST" && strings.HasSuffix(path, "/token"):
		o.kinds.TokenPolls++
	default:
		o.kinds.Other++
	}
}

// causes finds the first fault that mattered. A fault that a retry can
// mend (a timeout, a transport error, a 429 or 5xx answer) stays pending
// until the same party's same request gets through: answered without an
// error, which clears it (a poll that timed out once and then went
// through did not end the login), or with an error a retry cannot mend,
// which replaces it (a create that timed out, then got 404). Any other fault is final: nothing after it can be
// the root cause, though a pending one before it still can.
type causes struct {
	pending []pendingFault
	final   string
}

type pendingFault struct {
	key, text string
}

func (c *causes) reset() {
	c.pending, c.final = c.pending[:0], ""
}

// mendable reports whether a retry may mend the fault e is.
func mendable(e *Event) bool {
	return e.Kind == EvRecv && (e.Status == 0 || e.Status == 429 || e.Status >= 500)
}

func (c *causes) see(e *Event) {
	if e.Kind == EvRecv && e.Status > 0 && !mendable(e) && len(c.pending) > 0 {
		// The request went through: a success mends the earlier timeout,
		// and an error answer (a 404 to a retried create) is the fault
		// that mattered instead.
		key := e.Actor.String() + " " + e.Name
		c.pending = slices.DeleteFunc(c.pending, func(p pendingFault) bool { return p.key == key })
		if e.Status < 400 {
			return
		}
	}
	if c.final != "" {
		return
	}
	f := faultOf(e)
	switch {
	case f == "":
	case mendable(e):
		c.pending = append(c.pending, pendingFault{key: e.Actor.String() + " " + e.Name, text: f})
	default:
		c.final = f
	}
}

// first is the root cause: the earliest fault no retry mended, else the
// first final one ("" none).
func (c *causes) first() string {
	if len(c.pending) > 0 {
		return c.pending[0].text
	}
	return c.final
}
