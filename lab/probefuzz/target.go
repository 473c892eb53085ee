package probefuzz

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"qrlab/lab/live"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
)

// Target is what a server is checked against: Spec, the text (or design)
// the answers must follow, and Served, what the server is documented to do.
// They differ only for the Synapse-as-shipped presets, whose differences
// from their text (Departures) are known departures: a disagreement that
// one of them explains is reported, not failed.
type Target struct {
	SpecName   string
	ServedName string
	Spec       rendezvous.Config
	Served     rendezvous.Config
	Departures []Knob
}

// Knob is one configuration field in which the server departs from the
// text.
type Knob struct {
	Field  string `json:"field"`
	Spec   string `json:"spec"`
	Served string `json:"served"`
}

// textOf maps the Synapse-as-shipped rendezvous presets to the text they
// depart from; every other preset is its own reference.
var textOf = map[string]string{
	rendezvous.PresetNameETagSynapse:              rendezvous.PresetNameETag,
	rendezvous.PresetNameSequenceToken2025Synapse: rendezvous.PresetNameSequenceToken2025,
	rendezvous.PresetNameSequenceTokenSynapse:     rendezvous.PresetNameSequenceToken,
}

// ResolveTarget builds the target of a server reached at base. preset names
// a design variant (simrun variants) or a rendezvous store preset; without
// one, flavour picks its text preset. Paths are those simrun serve serves:
// the stable path and the flavour's unstable path.
func ResolveTarget(preset string, flavour rendezvous.Flavour, base string) (Target, error) {
	var cfg rendezvous.Config
	var err error
	name := preset
	switch {
	case preset != "" && slices.Contains(variant.Names(), preset):
		v, lerr := variant.Load(preset)
		if lerr != nil {
			return Target{}, lerr
		}
		cfg, err = v.RendezvousConfig()
	case preset != "":
		cfg, err = rendezvous.Preset(preset)
		if err != nil {
			return Target{}, fmt.Errorf("unknown preset %q (want a variant: %s; or a rendezvous preset: %s)", preset,
				strings.Join(variant.Names(), ", "), strings.Join(rendezvous.PresetNames(), ", "))
		}
	default:
		if flavour == 0 {
			return Target{}, fmt.Errorf("a preset or a flavour is needed")
		}
		name = flavour.String()
		cfg, err = rendezvous.Preset(flavour.String())
	}
	if err != nil {
		return Target{}, err
	}
	served := Served(cfg, base)
	t := Target{ServedName: name, Served: served, Spec: served, SpecName: name}
	if text, ok := textOf[cfg.Name]; ok {
		spec, _ := rendezvous.Preset(text)
		t.Spec, t.SpecName = Served(spec, base), text
		t.Departures = Diff(t.Spec, t.Served)
	}
	return t, nil
}

// Served is cfg as simrun serve runs it at base (live.RendezvousConfig):
// both paths, absolute session URLs on base, the 2024 text's CORS lines in
// the etag flavour.
func Served(cfg rendezvous.Config, base string) rendezvous.Config {
	cfg.BaseURL = strings.TrimSuffix(base, "/")
	cfg.Prefixes = []string{rendezvous.StablePrefix, live.UnstablePrefix(cfg.Flavour)}
	if cfg.Flavour == rendezvous.FlavourETag {
		cfg.CORS = rendezvous.CORS2024Text
	}
	return cfg
}

// ignoredFields are configuration fields that are names, not behaviour.
var ignoredFields = []string{"Name", "Seed"}

// Diff lists the fields in which b differs from a.
func Diff(a, b rendezvous.Config) []Knob {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var ks []Knob
	for i := range va.NumField() {
		f := va.Type().Field(i).Name
		if slices.Contains(ignoredFields, f) {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			ks = append(ks, Knob{Field: f, Spec: fmt.Sprint(va.Field(i).Interface()), Served: fmt.Sprint(vb.Field(i).Interface())})
		}
	}
	return ks
}

// With returns spec with the named fields taken from served.
func With(spec, served rendezvous.Config, fields []string) rendezvous.Config {
	vs := reflect.ValueOf(&spec).Elem()
	vd := reflect.ValueOf(served)
	for _, f := range fields {
		vs.FieldByName(f).Set(vd.FieldByName(f))
	}
	return spec
}
