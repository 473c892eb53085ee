// Package scenarios reads scenario files: which variant, network, user and
// adversaries a batch of simulated logins runs with, how many runs and from
// which seed. A scenario is a JSON file a person edits; a bad file gets an
// error naming the file, the line and the field. Built-in scenarios live in
// library/ and are listed by Names.
package scenarios

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"reflect"
	"sort"
	"strings"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// Scenario is one scenario file.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Variant is a preset name (simrun variants lists them) or the path of
	// a preset file (ending in .json; see LoadVariant).
	Variant string `json:"variant"`
	// NewVariant, when set, is the preset the new device follows instead
	// (mixing shipped clients).
	NewVariant string `json:"new_variant,omitempty"`
	// Intent is "login" (the new device shows the QR code) or
	// "reciprocate" (the existing device shows it).
	Intent string `json:"intent,omitempty"`
	// Network is a profile name ("4g") or a network object (see sim.Network).
	Network json.RawMessage `json:"network,omitempty"`
	// User overrides the default user's figures field by field.
	User json.RawMessage `json:"user,omitempty"`
	// Swarm, when present, makes each seed draw its own faults (fields
	// override the default bounds).
	Swarm json.RawMessage `json:"swarm,omitempty"`
	// Adversaries names the attackers of every run (simrun run --help
	// lists them).
	Adversaries []string `json:"adversaries,omitempty"`
	// Backup gives the account a key backup.
	Backup bool `json:"backup,omitempty"`
	// Transport is "tcp" (the default: HTTP over TCP and TLS; see
	// sim.Transport) or "datagram" (whole messages lost with the link's
	// loss; the default in swarm mode). A network profile's name means that
	// transport's profile.
	Transport string `json:"transport,omitempty"`
	// TCP overrides the tcp transport's knobs field by field (see sim.TCP).
	TCP json.RawMessage `json:"tcp,omitempty"`
	// Runs and Seed: runs seeds Seed, Seed+1, ... (at every grid point of a
	// sweep).
	Runs int    `json:"runs,omitempty"`
	Seed uint64 `json:"seed,omitempty"`
	// Set fixes knobs by dotted path ("variant.flow.ack": "before-browser",
	// "network.link.loss": 0.05; see KnobPaths).
	Set map[string]json.RawMessage `json:"set,omitempty"`
	// Sweep names the axes of a sweep: knob paths and the values each takes
	// (simrun sweep runs their Cartesian product).
	Sweep Sweep `json:"sweep,omitempty"`
	// Question is what the sweep is run to answer, in a sentence; Compare
	// the comparisons of grid points that answer it (a report opens with a
	// verdict for each). Neither changes what runs.
	Question string       `json:"question,omitempty"`
	Compare  []Comparison `json:"compare,omitempty"`
}

// ErrScenario is wrapped by every error of this package.
var ErrScenario = errors.New("invalid scenario")

// Parse reads a scenario file's bytes; file names it in errors.
func Parse(b []byte, file string) (Scenario, error) {
	var s Scenario
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, locate(b, file, dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return s, fmt.Errorf("%w: %s:%d: text after the scenario object", ErrScenario, file, lineOf(b, dec.InputOffset()))
	}
	if s.Runs == 0 {
		var given struct {
			Runs *int `json:"runs"`
		}
		if json.Unmarshal(b, &given) == nil && given.Runs != nil {
			return s, knobLine(b, file, &lineHint{Keys: []string{"runs"},
				Err: fmt.Errorf("%w: field \"runs\": 0 runs nothing (at least 1; leave the field out for 1)", ErrScenario)})
		}
	}
	if _, err := s.Config(); err != nil {
		return s, knobLine(b, file, err)
	}
	if _, err := s.Points(); err != nil {
		return s, knobLine(b, file, err)
	}
	if err := s.checkCompare(); err != nil {
		return s, knobLine(b, file, err)
	}
	return s, nil
}

// knobLine prefixes err with the file, and with the line of the knob or
// field it names if it names one.
func knobLine(b []byte, file string, err error) error {
	var keys []string
	var lh *lineHint
	var ke *KnobError
	if errors.As(err, &lh) {
		keys = lh.Keys
		if keys == nil {
			keys = []string{lh.Path}
		}
	} else if errors.As(err, &ke) {
		keys = []string{ke.Path}
	}
	for _, sec := range []string{"set", "sweep"} {
		if strings.HasPrefix(err.Error(), `field "`+sec+`"`) {
			keys = append([]string{sec}, keys...)
		}
	}
	if off, ok := offsetOfKeys(b, keys); ok {
		return fmt.Errorf("%s:%d: %w", file, lineOf(b, int64(off)), err)
	}
	return fmt.Errorf("%s: %w", file, err)
}

// offsetOfKeys finds a path of object keys in the file's text: each key
// (list indices skipped) is searched for after the one before, and the
// offset of the deepest one found is returned.
func offsetOfKeys(b []byte, keys []string) (int, bool) {
	at, found := 0, false
	for _, k := range keys {
		if k == "" || strings.Trim(k, "0123456789") == "" {
			continue
		}
		q, _ := json.Marshal(k)
		i := indexKey(b[at:], q)
		if i < 0 {
			break
		}
		at, found = at+i, true
	}
	return at, found
}

// indexKey is the offset of the quoted string q used as an object key (a
// colon follows it), or -1: a value spelled like the key ("transport":
// "tcp" for the key "tcp") is skipped.
func indexKey(b, q []byte) int {
	for off := 0; ; {
		i := bytes.Index(b[off:], q)
		if i < 0 {
			return -1
		}
		rest := bytes.TrimLeft(b[off+i+len(q):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			return off + i
		}
		off += i + len(q)
	}
}

// fieldErr is an error in the scenario field name: it keeps the path of
// keys inside the field so that Parse can give the line.
func fieldErr(name string, err error) error {
	return &lineHint{Keys: keysUnder(name, err), Err: fmt.Errorf("%w: field %q: %v", ErrScenario, name, err)}
}

// keysUnder is the path of keys err is about, under the key name.
func keysUnder(name string, err error) []string {
	keys := []string{name}
	var lh *lineHint
	if errors.As(err, &lh) && lh.Keys != nil {
		keys = append(keys, lh.Keys...)
	}
	return keys
}

// locate turns a decoding error into one with the file, line and field.
func locate(b []byte, file string, off int64, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s:%d: %v", ErrScenario, file, lineOf(b, se.Offset), se)
	case errors.As(err, &te):
		return fmt.Errorf("%w: %s:%d: field %q: %s where %s was expected", ErrScenario, file, lineOf(b, te.Offset), te.Field, te.Value, typeWord(te.Type))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: %s: the file ends inside the scenario object", ErrScenario, file)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		if i := bytes.Index(b, []byte(f)); i >= 0 {
			off = int64(i)
		}
		return fmt.Errorf("%w: %s:%d: unknown field %s (known: %s)",
			ErrScenario, file, lineOf(b, off), f, strings.Join(scenarioFields(), ", "))
	}
	return fmt.Errorf("%w: %s:%d: %v", ErrScenario, file, lineOf(b, off), err)
}

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + bytes.Count(b[:off], []byte{'\n'})
}

// Config builds the simulator's configuration.
func (s Scenario) Config() (sim.Config, error) {
	var cfg sim.Config
	if s.Variant == "" {
		return cfg, fmt.Errorf("%w: field \"variant\": missing (known: %s)", ErrScenario, strings.Join(variant.Names(), ", "))
	}
	v, err := LoadVariant(s.Variant)
	if err != nil {
		return cfg, fmt.Errorf("%w: field \"variant\": %v", ErrScenario, err)
	}
	cfg.Variant = v
	if s.NewVariant != "" {
		nv, err := LoadVariant(s.NewVariant)
		if err != nil {
			return cfg, fmt.Errorf("%w: field \"new_variant\": %v", ErrScenario, err)
		}
		cfg.NewVariant = &nv
	}
	switch s.Intent {
	case "", "login":
		cfg.Intent = qr.Login
	case "reciprocate":
		cfg.Intent = qr.Reciprocate
	default:
		return cfg, fmt.Errorf("%w: field \"intent\": %q is neither \"login\" nor \"reciprocate\"", ErrScenario, s.Intent)
	}
	if cfg.Transport, err = transport(s.transportKind(), s.TCP); err != nil {
		return cfg, err
	}
	cfg.Network, err = network(s.Network, cfg.Transport.Kind)
	if err != nil {
		return cfg, fieldErr("network", err)
	}
	cfg.User = sim.DefaultUser()
	if len(s.User) > 0 {
		if err := decodeStrict(s.User, &cfg.User); err != nil {
			return cfg, fieldErr("user", err)
		}
		if err := cfg.User.Validate(); err != nil {
			return cfg, fieldErr("user", err)
		}
	}
	if len(s.Swarm) > 0 && string(s.Swarm) != "null" {
		sw := sim.DefaultSwarm()
		if err := decodeStrict(s.Swarm, &sw); err != nil {
			return cfg, fieldErr("swarm", err)
		}
		cfg.Swarm = &sw
	}
	cfg.Backup = s.Backup
	cfg.Adversaries = s.Adversaries
	for p := range s.Set {
		if isTopLevel(p) {
			return cfg, fmt.Errorf("field \"set\": %w", knobErr(p, "set the field %q itself, not through \"set\"", p))
		}
		if err := checkPath(p); err != nil {
			return cfg, fmt.Errorf("field \"set\": %w", err)
		}
	}
	if err := applySet(&cfg, s.Set); err != nil {
		return cfg, fmt.Errorf("field \"set\": %w", err)
	}
	if _, err := s.Jobs(); err != nil {
		return cfg, err
	}
	if _, err := sim.NewRunner(cfg); err != nil {
		return cfg, fmt.Errorf("%w: %v", ErrScenario, err)
	}
	return cfg, nil
}

// transportKind is the transport the scenario's runs use: the one named,
// else tcp, or datagram in swarm mode (as sim.Config.TransportKind), so
// that a profile name picks that transport's profile.
func (s Scenario) transportKind() string {
	switch {
	case s.Transport != "":
		return s.Transport
	case len(s.Swarm) > 0 && string(s.Swarm) != "null":
		return sim.TransportDatagram
	}
	return sim.TransportTCP
}

// network resolves the scenario's network: a profile name, or an object,
// from the profiles of the transport kind.
// An object whose name is a profile's starts from that profile, and each
// field it gives replaces the profile's (a whole link, the overrides, the
// partitions); any other object must give its link.
func network(raw json.RawMessage, kind string) (sim.Network, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return sim.ProfileFor(kind, sim.DefaultNetwork)
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		return sim.ProfileFor(kind, name)
	}
	var fields map[string]json.RawMessage
	if err := decodeStrict(raw, &fields); err != nil {
		return sim.Network{}, fmt.Errorf("a profile name or a network object: %v", err)
	}
	var n sim.Network
	if err := decodeStrict(raw, &n); err != nil {
		return n, err
	}
	if base, err := sim.ProfileFor(kind, n.Name); err == nil {
		for _, f := range []struct {
			key string
			dst any
		}{{"description", &base.Description}, {"link", &base.Link}, {"overrides", &base.Overrides}, {"partitions", &base.Partitions},
			{"connections", &base.Connections}} {
			if v, ok := fields[f.key]; ok {
				reflect.ValueOf(f.dst).Elem().SetZero()
				if err := decodeStrict(v, f.dst); err != nil {
					return n, &lineHint{Keys: keysUnder(f.key, err), Err: fmt.Errorf("field %q: %v", f.key, err)}
				}
			}
		}
		n = base
	} else if _, ok := fields["link"]; !ok {
		return n, fmt.Errorf("network %q: no \"link\" (a network object that is not a profile (%s) gives its link)",
			n.Name, strings.Join(sim.ProfileNames(), ", "))
	}
	if n.Name == "" {
		n.Name = "custom"
	}
	return n, n.Prepare()
}

//go:embed library/*.json
var library embed.FS

// Names lists the built-in scenarios.
func Names() []string {
	ents, _ := library.ReadDir("library")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(out)
	return out
}

// Load returns a built-in scenario by name.
func Load(name string) (Scenario, error) {
	b, err := library.ReadFile(path.Join("library", name+".json"))
	if err != nil {
		return Scenario{}, fmt.Errorf("%w: no built-in scenario %q (known: %s)", ErrScenario, name, strings.Join(Names(), ", "))
	}
	return Parse(b, "library/"+name+".json")
}

// transport resolves the scenario's transport and its tcp knobs.
func transport(kind string, raw json.RawMessage) (sim.Transport, error) {
	t := sim.Transport{Kind: kind}
	if len(raw) > 0 && string(raw) != "null" {
		k := sim.DefaultTCP()
		if err := decodeStrict(raw, &k); err != nil {
			return t, fieldErr("tcp", err)
		}
		t.TCP = &k
	}
	if err := t.Validate(); err != nil {
		name := "transport"
		if t.TCP != nil && t.Kind == sim.TransportTCP {
			name = "tcp"
		}
		return t, fieldErr(name, err)
	}
	return t, nil
}
