package qrdiff

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Finding is one class of disagreement: its shortest payload found, both
// verdicts on it, how often the class was seen and, if it is understood,
// the known departure it is.
type Finding struct {
	Class   string `json:"class"`
	Known   *Known `json:"known,omitempty"`
	Count   int    `json:"count"`
	Payload []byte `json:"-"`
	Base64  string `json:"payload_base64"`
	Hex     string `json:"payload_hex"`
	Model   Result `json:"model"`
	Peer    Result `json:"peer"`
}

// Options says what Run does.
type Options struct {
	Seed   uint64
	Budget time.Duration // generate payloads for this long, unless Runs > 0
	Runs   int           // generate exactly this many payloads
}

// Report is what Run found.
type Report struct {
	Cases    int // payloads compared (shrinking not counted)
	Accepted int // payloads both decoders accepted alike
	Elapsed  time.Duration
	Findings []Finding // by class, sorted
}

// New counts the findings that are not known departures.
func (r Report) New() int {
	n := 0
	for _, f := range r.Findings {
		if f.Known == nil {
			n++
		}
	}
	return n
}

var digits = regexp.MustCompile(`[0-9]+`)

// classify names the disagreement between the model's verdict m and the
// peer's p, or returns "" when they agree. Both refusing is agreement
// whatever the reasons.
func classify(m, p Result) string {
	switch {
	case !m.OK && !p.OK:
		return ""
	case m.OK && !p.OK:
		return fmt.Sprintf("model reads %s, peer refuses: %s", m.Fields.Format, digits.ReplaceAllString(p.Error, "N"))
	case !m.OK && p.OK:
		return fmt.Sprintf("model refuses (%s), peer reads %s", m.Why, p.Fields.Format)
	}
	var diff []string
	mf, pf := *m.Fields, *p.Fields
	for _, c := range []struct {
		name string
		a, b string
	}{
		{"format", mf.Format, pf.Format}, {"intent", mf.Intent, pf.Intent}, {"public_key", mf.PublicKey, pf.PublicKey},
		{"rendezvous_url", mf.RendezvousURL, pf.RendezvousURL}, {"server_name", mf.ServerName, pf.ServerName},
		{"rendezvous_id", mf.RendezvousID, pf.RendezvousID}, {"base_url", mf.BaseURL, pf.BaseURL},
	} {
		if c.a != c.b {
			diff = append(diff, c.name)
		}
	}
	if len(diff) == 0 {
		return ""
	}
	return fmt.Sprintf("both read %s, fields differ: %s", mf.Format, strings.Join(diff, ", "))
}

// Run generates payloads and compares peer with the model until the
// budget or run count is spent. An error is the peer failing.
func Run(peer Decoder, o Options, now func() time.Time) (Report, error) {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	examples := validExamples()
	var rep Report
	found := map[string]*Finding{}
	start := now()
	for i := 0; ; i++ {
		if o.Runs > 0 && i >= o.Runs || o.Runs <= 0 && now().Sub(start) >= o.Budget {
			break
		}
		b := generate(r, examples)
		m := ModelDecode(b)
		p, err := peer.Decode(b)
		if err != nil {
			return rep, fmt.Errorf("payload %s: %v", hex.EncodeToString(b), err)
		}
		rep.Cases++
		class := classify(m, p)
		if class == "" {
			if m.OK {
				rep.Accepted++
			}
			continue
		}
		if f := found[class]; f != nil {
			f.Count++
			if len(b) >= len(f.Payload) {
				continue
			}
		}
		small, sm, sp, err := shrink(peer, b, class)
		if err != nil {
			return rep, err
		}
		f := found[class]
		if f == nil {
			f = &Finding{Class: class}
			found[class] = f
		}
		f.Count = max(f.Count, 1)
		if f.Payload == nil || len(small) < len(f.Payload) {
			f.Payload, f.Model, f.Peer = small, sm, sp
		}
	}
	rep.Elapsed = now().Sub(start)
	for _, f := range found {
		f.Base64 = base64.RawStdEncoding.EncodeToString(f.Payload)
		f.Hex = hex.EncodeToString(f.Payload)
		f.Known = match(f)
		rep.Findings = append(rep.Findings, *f)
	}
	slices.SortFunc(rep.Findings, func(a, b Finding) int { return strings.Compare(a.Class, b.Class) })
	return rep, nil
}

// shrink deletes ever smaller runs of bytes from b while the disagreement
// keeps its class, and returns the shortest payload with both verdicts.
func shrink(peer Decoder, b []byte, class string) ([]byte, Result, Result, error) {
	m := ModelDecode(b)
	p, err := peer.Decode(b)
	if err != nil {
		return nil, m, p, err
	}
	for n := len(b) / 2; n >= 1; n /= 2 {
		for i := 0; i+n <= len(b); {
			c := append(append([]byte(nil), b[:i]...), b[i+n:]...)
			cm := ModelDecode(c)
			cp, err := peer.Decode(c)
			if err != nil {
				return nil, m, p, err
			}
			if classify(cm, cp) == class {
				b, m, p = c, cm, cp
				continue
			}
			i++
		}
	}
	return b, m, p, nil
}

// WriteFinding writes f as a JSON reproducer under dir and returns its
// path; the name is derived from the class.
func WriteFinding(dir string, f Finding) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	slug := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(f.Class), "-"), "-")
	if len(slug) > 60 {
		slug = slug[:60]
	}
	sum := sha256.Sum256([]byte(f.Class))
	path := filepath.Join(dir, "qr-"+slug+"-"+hex.EncodeToString(sum[:4])+".json")
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}
