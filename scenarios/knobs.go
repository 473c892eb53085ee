package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"qrlab/model/variant"
	"qrlab/sim"
)

// A knob path names one setting of a scenario, for the "set" field and for
// sweep axes. The top-level paths replace a scenario field:
//
//	variant, new_variant   a preset name
//	intent                 "login" or "reciprocate"
//	network                a profile name or a network object
//	backup                 true or false
//	adversaries            a list of adversary names
//
// A dotted path sets one field inside the resolved value, by the JSON names
// its file format uses:
//
//	variant.<field path>      a knob of the variant both devices follow ("variant.timing.poll_interval_ms")
//	new_variant.<field path>  a knob of the new device's variant only
//	network.<field path>      a field of the network ("network.link.loss_up", "network.overrides.new-hs.latency.median")
//	user.<field path>         a field of the user ("user.typo_rate", "user.scan.median")
//	swarm.<field path>        a swarm bound (the scenario must have "swarm")
//
// Two pseudo-fields set a pair of fields together: a link's "loss" sets
// loss_up and loss_down ("network.link.loss"), and the variant's
// "timing.poll_ms" sets poll_interval_ms and poll_backoff_max_ms (a fixed
// polling period: "variant.timing.poll_ms").
var topLevelKnobs = []string{"variant", "new_variant", "intent", "network", "backup", "adversaries", "transport"}

var dottedKnobs = []string{"variant.", "new_variant.", "network.", "user.", "swarm."}

// KnobError is a bad knob path or value; Path is the path as written, so a
// caller can find its line in the file.
type KnobError struct {
	Path string
	Err  error
}

func (e *KnobError) Error() string { return fmt.Sprintf("knob %q: %v", e.Path, e.Err) }
func (e *KnobError) Unwrap() error { return e.Err }

func knobErr(path string, format string, a ...any) error {
	return &KnobError{Path: path, Err: fmt.Errorf("%w: %s", ErrScenario, fmt.Sprintf(format, a...))}
}

// KnobPaths describes the valid knob paths, for error messages and help.
func KnobPaths() string {
	return strings.Join(topLevelKnobs, ", ") + ", or " + strings.Join(dottedKnobs, "..., ") + "..."
}

// checkPath refuses a path that names no knob.
func checkPath(path string) error {
	if isTopLevel(path) {
		return nil
	}
	for _, p := range dottedKnobs {
		if rest, ok := strings.CutPrefix(path, p); ok && rest != "" {
			return nil
		}
	}
	return knobErr(path, "unknown knob path (known: %s)", KnobPaths())
}

func isTopLevel(path string) bool {
	for _, k := range topLevelKnobs {
		if path == k {
			return true
		}
	}
	return false
}

// setTopLevel applies a top-level knob to the scenario's fields.
func (s *Scenario) setTopLevel(path string, raw json.RawMessage) error {
	str := func(dst *string) error {
		if err := json.Unmarshal(raw, dst); err != nil {
			return knobErr(path, "%s is not a string", raw)
		}
		return nil
	}
	switch path {
	case "variant":
		return str(&s.Variant)
	case "new_variant":
		return str(&s.NewVariant)
	case "intent":
		return str(&s.Intent)
	case "transport":
		return str(&s.Transport)
	case "network":
		s.Network = append(json.RawMessage(nil), raw...)
		return nil
	case "backup":
		if err := json.Unmarshal(raw, &s.Backup); err != nil {
			return knobErr(path, "%s is not true or false", raw)
		}
		return nil
	case "adversaries":
		s.Adversaries = nil
		if err := json.Unmarshal(raw, &s.Adversaries); err != nil {
			return knobErr(path, "%s is not a list of adversary names", raw)
		}
		return nil
	}
	return knobErr(path, "unknown knob path (known: %s)", KnobPaths())
}

// applySet applies dotted knobs to a resolved configuration, in sorted
// path order.
func applySet(cfg *sim.Config, set map[string]json.RawMessage) error {
	paths := make([]string, 0, len(set))
	for p := range set {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := applyKnob(cfg, p, set[p]); err != nil {
			return err
		}
	}
	return nil
}

// applyKnob sets one dotted knob on cfg and validates what it changed.
func applyKnob(cfg *sim.Config, path string, raw json.RawMessage) error {
	head, rest, _ := strings.Cut(path, ".")
	if rest == "" {
		return knobErr(path, "unknown knob path (known: %s)", KnobPaths())
	}
	keys := strings.Split(rest, ".")
	switch head {
	case "variant", "new_variant":
		target := &cfg.Variant
		if head == "new_variant" {
			if cfg.NewVariant == nil {
				v := cfg.Variant
				cfg.NewVariant = &v
			}
			target = cfg.NewVariant
		}
		b, err := setField(*target, keys, raw, path)
		if err != nil {
			return err
		}
		v, err := variant.Parse(b, head)
		if err != nil {
			return &KnobError{Path: path, Err: fmt.Errorf("%w: %s", ErrScenario, strings.TrimPrefix(err.Error(), head+": "))}
		}
		markOverridden(&v, keys, raw)
		*target = v
	case "network":
		b, err := setField(cfg.Network, keys, raw, path)
		if err != nil {
			return err
		}
		var n sim.Network
		if err := decodeStrict(b, &n); err != nil {
			return knobErr(path, "%s: %v", raw, err)
		}
		if err := n.Prepare(); err != nil {
			return knobErr(path, "%s: %v", raw, err)
		}
		cfg.Network = n
	case "user":
		b, err := setField(cfg.User, keys, raw, path)
		if err != nil {
			return err
		}
		var u sim.User
		if err := decodeStrict(b, &u); err != nil {
			return knobErr(path, "%s: %v", raw, err)
		}
		if err := u.Validate(); err != nil {
			return knobErr(path, "%s: %v", raw, err)
		}
		cfg.User = u
	case "swarm":
		if cfg.Swarm == nil {
			return knobErr(path, `the scenario has no "swarm" (add "swarm": {})`)
		}
		b, err := setField(*cfg.Swarm, keys, raw, path)
		if err != nil {
			return err
		}
		var sw sim.Swarm
		if err := decodeStrict(b, &sw); err != nil {
			return knobErr(path, "%s: %v", raw, err)
		}
		cfg.Swarm = &sw
	default:
		return knobErr(path, "unknown knob path (known: %s)", KnobPaths())
	}
	return nil
}

// markOverridden records in v's provenance that the scenario set the knob
// at keys (both knobs of the "timing.poll_ms" pseudo-field), so reports and
// run headers do not present the preset's origin for a value it no longer
// has. Mutations carry no provenance and are not marked.
func markOverridden(v *variant.Variant, keys []string, raw json.RawMessage) {
	name := strings.Join(keys, ".")
	names := []string{name}
	if name == "timing.poll_ms" {
		names = []string{"timing.poll_interval_ms", "timing.poll_backoff_max_ms"}
	}
	for _, n := range names {
		for _, k := range v.Knobs() {
			if k.Name == n && n != "mutations" {
				v.Override(n, string(raw))
			}
		}
	}
}

var (
	linkType   = reflect.TypeOf(sim.Link{})
	timingType = reflect.TypeOf(variant.TimingKnobs{})
)

// setField marshals v to a JSON object, sets the field at keys (checked
// against v's type, so a misspelt key is refused with the valid ones) to
// raw, and returns the object's new text.
func setField(v any, keys []string, raw json.RawMessage, path string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, knobErr(path, "%v", err)
	}
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, knobErr(path, "%v", err)
	}
	t := reflect.TypeOf(v)
	m := root
	parts := strings.Split(path, ".")
	for i, k := range keys {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		last := i == len(keys)-1
		var next reflect.Type
		switch t.Kind() {
		case reflect.Struct:
			if last && k == "loss" && t == linkType {
				m["loss_up"], m["loss_down"] = raw, raw
				return json.Marshal(root)
			}
			if last && k == "poll_ms" && t == timingType {
				m["poll_interval_ms"], m["poll_backoff_max_ms"] = raw, raw
				return json.Marshal(root)
			}
			f, ok := jsonField(t, k)
			if !ok {
				known := jsonFields(t)
				switch t {
				case linkType:
					known = append(known, "loss")
				case timingType:
					known = append(known, "poll_ms")
				}
				return nil, knobErr(path, "%q is not a field of %s (known: %s)", k, strings.Join(parts[:i+1], "."), strings.Join(known, ", "))
			}
			next = f
		case reflect.Map:
			next = t.Elem()
		default:
			return nil, knobErr(path, "%s is not an object", strings.Join(parts[:i+1], "."))
		}
		if last {
			m[k] = raw
			break
		}
		sub, ok := m[k].(map[string]any)
		if !ok {
			sub = map[string]any{}
			if m[k] != nil {
				return nil, knobErr(path, "%s is not an object", strings.Join(parts[:i+2], "."))
			}
			m[k] = sub
		}
		m = sub
		t = next
	}
	return json.Marshal(root)
}

// jsonField finds the struct field whose JSON name is name.
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if n, ok := jsonName(f); ok && n == name {
			return f.Type, true
		}
	}
	return nil, false
}

// jsonFields lists a struct's JSON field names.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if n, ok := jsonName(t.Field(i)); ok {
			out = append(out, n)
		}
	}
	return out
}

func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, true
}

// scenarioFields lists the JSON fields of a scenario file.
func scenarioFields() []string { return jsonFields(reflect.TypeOf(Scenario{})) }
