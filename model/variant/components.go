package variant

import (
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"qrlab/model/homeserver"
	"qrlab/model/oauth"
	"qrlab/model/rendezvous"
)

// Components are the models a variant picks by preset name; each of their
// presets carries provenance too, in provenance/<component>.json, keyed by
// preset name and then by the Go field names of the component's Config
// (a key may list several fields, separated by commas).
const (
	ComponentRendezvous = "rendezvous"
	ComponentOAuth      = "oauth"
	ComponentHomeserver = "homeserver"
)

// Components lists the component names in the order listings use.
func Components() []string {
	return []string{ComponentRendezvous, ComponentOAuth, ComponentHomeserver}
}

// componentExempt are Config fields that need no origin: the preset's own
// name, and the deliberate-defect switches only mutants turn on.
var componentExempt = map[string]bool{"Name": true, "IgnoreToken": true, "NoExpiry": true}

// ComponentPresetNames lists the presets of a component.
func ComponentPresetNames(component string) ([]string, error) {
	switch component {
	case ComponentRendezvous:
		return rendezvous.PresetNames(), nil
	case ComponentOAuth:
		return oauth.PresetNames(), nil
	case ComponentHomeserver:
		return homeserver.PresetNames(), nil
	}
	return nil, fmt.Errorf("%w: unknown component %q (want %s)", ErrVariant, component, strings.Join(Components(), ", "))
}

// componentConfig returns the named preset of a component as a value.
func componentConfig(component, preset string) (any, error) {
	var (
		cfg any
		err error
	)
	switch component {
	case ComponentRendezvous:
		cfg, err = rendezvous.Preset(preset)
	case ComponentOAuth:
		cfg, err = oauth.Preset(preset)
	case ComponentHomeserver:
		cfg, err = homeserver.Preset(preset)
	default:
		_, err = ComponentPresetNames(component)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s preset %q: %v", ErrVariant, component, preset, err)
	}
	return cfg, nil
}

// ComponentKnobs lists the fields of a component preset's Config with
// their values, in declaration order, leaving out the exempt ones.
func ComponentKnobs(component, preset string) ([]Knob, error) {
	cfg, err := componentConfig(component, preset)
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(cfg)
	rt := rv.Type()
	var out []Knob
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() || componentExempt[f.Name] {
			continue
		}
		out = append(out, Knob{Name: f.Name, Value: fmt.Sprintf("%v", rv.Field(i).Interface())})
	}
	return out, nil
}

// componentProvenance reads provenance/<component>.json.
func componentProvenance(component string) (map[string]Provenance, error) {
	var m map[string]Provenance
	if err := readStrict(provenanceFile(component), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// ComponentOrigins lists every knob of a component preset with its origin,
// and the preset's status. A knob without an origin has an empty Origin; a
// preset without an entry has status "no provenance".
func ComponentOrigins(component, preset string) ([]KnobOrigin, string, error) {
	knobs, err := ComponentKnobs(component, preset)
	if err != nil {
		return nil, "", err
	}
	all, err := componentProvenance(component)
	if err != nil {
		return nil, "", err
	}
	p, ok := all[preset]
	if !ok {
		ko, _ := resolve(knobs, nil, noSection)
		return ko, "no provenance", nil
	}
	ko, err := resolve(knobs, &p, noSection)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %s: %v", ErrVariant, provenanceFile(component), preset, err)
	}
	cat, err := catalogue()
	if err != nil {
		return nil, "", err
	}
	for _, key := range slices.Sorted(maps.Keys(p.Knobs)) {
		if err := p.Knobs[key].validate(cat); err != nil {
			return nil, "", fmt.Errorf("%w: %s: %s: key %q: %v", ErrVariant, provenanceFile(component), preset, key, err)
		}
	}
	if strings.TrimSpace(p.Status) == "" {
		return nil, "", fmt.Errorf("%w: %s: %s: no status", ErrVariant, provenanceFile(component), preset)
	}
	return ko, p.Status, nil
}

// noSection: component fields have no sections.
func noSection(string) string { return "" }

// WriteProvenance prints the variant's provenance knob by knob: its status,
// each knob's value and origin, then the same for the rendezvous, OAuth and
// homeserver presets it picks, then every source cited. A knob without an
// origin shows "MISSING".
func WriteProvenance(w io.Writer, v *Variant) error {
	ko, err := v.KnobOrigins()
	if err != nil {
		return err
	}
	cited := map[string]bool{}
	fmt.Fprintf(w, "%s  [%s]\n  %s\n", v.Name, v.Status(), v.Description)
	writeOrigins(w, "  ", ko, cited)
	for _, c := range []struct{ component, preset string }{
		{ComponentRendezvous, v.Rendezvous.Preset},
		{ComponentOAuth, v.OAuth.Preset},
		{ComponentHomeserver, v.Homeserver.Preset},
	} {
		cko, status, err := ComponentOrigins(c.component, c.preset)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n  %s preset %s  [%s]\n", c.component, c.preset, status)
		writeOrigins(w, "    ", cko, cited)
	}
	cat, err := Sources()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n  sources cited:\n")
	for _, id := range slices.Sorted(maps.Keys(cited)) {
		fmt.Fprintf(w, "    %-28s %s\n", id, cat[id])
	}
	return nil
}

// writeOrigins prints one line per knob and records the sources cited.
func writeOrigins(w io.Writer, indent string, ko []KnobOrigin, cited map[string]bool) {
	for _, k := range ko {
		o := k.Origin
		what := "MISSING"
		switch o.Kind() {
		case OriginSource:
			cited[o.Source] = true
			what = "source " + o.Source
		case "":
		default:
			what = o.Kind()
		}
		if t := o.Text(); t != "" {
			what += ": " + t
		}
		val := k.Value
		if len(val) > 40 {
			val = val[:37] + "..."
		}
		fmt.Fprintf(w, "%s%-34s %-40s %s\n", indent, k.Name, val, what)
	}
}
