package variant

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Provenance says where a preset comes from: a one-line status, and for
// every knob an Origin. It is part of the preset file ("provenance"); a
// preset of one's own may leave it out, a built-in preset may not.
//
//	"provenance": {
//	  "status": "text 726e115",
//	  "knobs": {
//	    "channel.construction": {"source": "msc4388-726e115", "note": "HPKE base mode, §Establishment"},
//	    "channel.check_code_keys, channel.retry_accept": {"lab-default": "the text is silent; ..."},
//	    "timing": {"lab-default": "the texts set no client timing; ..."},
//	    "flow.ack": {"unverified": "what is claimed, and why it is kept"}
//	  }
//	}
//
// A key of "knobs" is a knob name, a comma-separated list of knob names, or
// a section ("timing") that covers every knob of that section no other key
// names. The "mutations" knob needs no entry: honest presets have none.
type Provenance struct {
	// Status names the preset's standing in a few words, for reports:
	// "text 726e115", "Synapse 1.157.0", "unverified", "design alternative".
	Status string `json:"status"`
	// Knobs maps knob names (or lists, or sections) to their origin.
	Knobs map[string]Origin `json:"knobs"`
}

// Origin is where one knob value comes from. Exactly one of Source,
// LabDefault, Unverified, Alternative and Overridden is set.
type Origin struct {
	// Source is the ID of a reference in the source catalogue
	// (provenance/sources.json): a repository, path and commit that was
	// read and says this.
	Source string `json:"source,omitempty"`
	// LabDefault: the texts and implementations are silent; says why the
	// lab chose this value.
	LabDefault string `json:"lab-default,omitempty"`
	// Unverified: a claim no source read so far shows; says what is
	// claimed and why the value is kept.
	Unverified string `json:"unverified,omitempty"`
	// Alternative: a design the lab studies that no text or release
	// states; says where the idea comes from.
	Alternative string `json:"design-alternative,omitempty"`
	// Overridden: a scenario set this knob (Variant.Override), so the
	// preset's origin no longer applies; says to what.
	Overridden string `json:"overridden,omitempty"`
	// Note, with Source, says where in the source and in what words (the
	// project's own) it says so.
	Note string `json:"note,omitempty"`
}

// Origin kinds, as Kind returns them and listings print them.
const (
	OriginSource      = "source"
	OriginLabDefault  = "lab-default"
	OriginUnverified  = "unverified"
	OriginAlternative = "design-alternative"
	OriginOverridden  = "overridden"
)

// Kind names which of the four kinds the origin is ("" when none is set).
func (o Origin) Kind() string {
	switch {
	case o.Source != "":
		return OriginSource
	case o.LabDefault != "":
		return OriginLabDefault
	case o.Unverified != "":
		return OriginUnverified
	case o.Alternative != "":
		return OriginAlternative
	case o.Overridden != "":
		return OriginOverridden
	}
	return ""
}

// Text is the origin's explanation: the note of a source, the reason of the
// other kinds.
func (o Origin) Text() string {
	switch o.Kind() {
	case OriginSource:
		return o.Note
	case OriginLabDefault:
		return o.LabDefault
	case OriginUnverified:
		return o.Unverified
	case OriginOverridden:
		return o.Overridden
	}
	return o.Alternative
}

// validate checks that exactly one kind is set and that a source exists.
func (o Origin) validate(cat map[string]Source) error {
	n := 0
	for _, s := range []string{o.Source, o.LabDefault, o.Unverified, o.Alternative, o.Overridden} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("needs exactly one of source, lab-default, unverified, design-alternative, overridden (has %d)", n)
	}
	if o.Source != "" {
		if _, ok := cat[o.Source]; !ok {
			return fmt.Errorf("source %q is not in the catalogue (have %s)", o.Source, strings.Join(slices.Sorted(maps.Keys(cat)), ", "))
		}
	} else if o.Note != "" {
		return fmt.Errorf("note goes with source only (put the reason in the %s text)", o.Kind())
	}
	return nil
}

// Source is one reference that was read: a file of a public repository at a
// commit, with the release or text revision it belongs to; or a published
// document (an RFC), named by Document and Ref alone.
type Source struct {
	// Document names a published text that has no repository ("RFC 8628").
	Document string `json:"document,omitempty"`
	// Repo is owner/name on GitHub.
	Repo string `json:"repo,omitempty"`
	// Path is the file (or directory, ending in "/") inside it.
	Path string `json:"path,omitempty"`
	// Commit is the full commit ID that was read.
	Commit string `json:"commit,omitempty"`
	// Ref names the commit for people: a release tag, a branch, a pull
	// request or a text revision.
	Ref string `json:"ref"`
	// Date is the commit's date, YYYY-MM-DD.
	Date string `json:"date,omitempty"`
}

// String renders the source as repo/path@ref (commit, date).
func (s Source) String() string {
	if s.Document != "" {
		return s.Document + " " + s.Ref
	}
	return fmt.Sprintf("%s %s @ %s (%s, %s)", s.Repo, s.Path, s.Ref, s.Commit[:12], s.Date)
}

//go:embed provenance/*.json
var provenanceFS embed.FS

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	dateRE   = regexp.MustCompile(`^20[0-9]{2}-[01][0-9]-[0-3][0-9]$`)
)

// Sources returns the source catalogue: every reference a preset may cite,
// by ID (a copy: the caller may change it).
func Sources() (map[string]Source, error) {
	cat, err := catalogue()
	return maps.Clone(cat), err
}

// catalogue is the parsed source catalogue, read once: it is embedded and
// never changes, and every preset load consults it.
var catalogue = sync.OnceValues(readSources)

func readSources() (map[string]Source, error) {
	var cat map[string]Source
	if err := readStrict("provenance/sources.json", &cat); err != nil {
		return nil, err
	}
	for id, s := range cat {
		if s.Document != "" {
			if s.Repo != "" || s.Path != "" || s.Commit != "" || s.Ref == "" {
				return nil, fmt.Errorf("%w: provenance/sources.json: %s: a document takes a ref and no repo, path or commit", ErrVariant, id)
			}
			continue
		}
		switch {
		case s.Repo == "" || strings.Count(s.Repo, "/") != 1:
			return nil, fmt.Errorf("%w: provenance/sources.json: %s: repo %q is not owner/name", ErrVariant, id, s.Repo)
		case s.Path == "":
			return nil, fmt.Errorf("%w: provenance/sources.json: %s: no path", ErrVariant, id)
		case !commitRE.MatchString(s.Commit):
			return nil, fmt.Errorf("%w: provenance/sources.json: %s: commit %q is not 40 hex digits", ErrVariant, id, s.Commit)
		case s.Ref == "":
			return nil, fmt.Errorf("%w: provenance/sources.json: %s: no ref (release, branch or revision)", ErrVariant, id)
		case !dateRE.MatchString(s.Date):
			return nil, fmt.Errorf("%w: provenance/sources.json: %s: date %q is not YYYY-MM-DD", ErrVariant, id, s.Date)
		}
	}
	return cat, nil
}

// readStrict decodes an embedded provenance file, refusing unknown fields.
func readStrict(file string, into any) error {
	b, err := provenanceFS.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrVariant, file, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%w: %s: %s", ErrVariant, file, describeJSONError(b, err))
	}
	return nil
}

// KnobOrigin is one knob with its value and where the value comes from.
type KnobOrigin struct {
	Knob
	// Key is the provenance key that covered the knob (the knob itself, a
	// list naming it, or its section); empty when none did.
	Key    string
	Origin Origin
}

// resolve maps every knob to its origin under the keys of p. Knobs no key
// covers get an empty Origin; keys naming no knob are an error.
func resolve(knobs []Knob, p *Provenance, section func(string) string) ([]KnobOrigin, error) {
	exact := map[string]string{}
	sections := map[string]string{}
	known := map[string]bool{}
	for _, k := range knobs {
		known[k.Name] = true
		if s := section(k.Name); s != "" {
			known[s+"/"] = true
		}
	}
	var keys []string
	if p != nil {
		keys = slices.Sorted(maps.Keys(p.Knobs))
	}
	for _, key := range keys {
		for _, name := range strings.Split(key, ",") {
			name = strings.TrimSpace(name)
			switch {
			case known[name]:
				if prev, dup := exact[name]; dup {
					return nil, fmt.Errorf("knob %s is named by two keys, %q and %q", name, prev, key)
				}
				exact[name] = key
			case known[name+"/"] && !strings.Contains(key, ","):
				sections[name] = key
			default:
				return nil, fmt.Errorf("key %q: %q is no knob or section", key, name)
			}
		}
	}
	out := make([]KnobOrigin, len(knobs))
	for i, k := range knobs {
		out[i].Knob = k
		key, ok := exact[k.Name]
		if !ok {
			key, ok = sections[section(k.Name)]
		}
		if ok {
			out[i].Key = key
			out[i].Origin = p.Knobs[key]
		}
	}
	return out, nil
}

// variantSection is the section of a variant knob: "timing" for
// "timing.http_retries".
func variantSection(name string) string {
	s, _, ok := strings.Cut(name, ".")
	if !ok {
		return ""
	}
	return s
}

// validateProvenance checks a preset file's provenance, when it has one:
// a status, known keys, one kind per origin, sources in the catalogue.
func (v *Variant) validateProvenance() error {
	p := v.Provenance
	if p == nil {
		return nil
	}
	if strings.TrimSpace(p.Status) == "" {
		return fieldError("provenance.status", `""`, `a status such as "text 726e115" or "unverified"`)
	}
	cat, err := catalogue()
	if err != nil {
		return err
	}
	if _, err := resolve(v.designKnobs(), p, variantSection); err != nil {
		return fmt.Errorf("%w: field provenance.knobs: %v", ErrVariant, err)
	}
	for _, key := range slices.Sorted(maps.Keys(p.Knobs)) {
		if err := p.Knobs[key].validate(cat); err != nil {
			return fmt.Errorf("%w: field provenance.knobs[%s]: %v", ErrVariant, strconv.Quote(key), err)
		}
	}
	return nil
}

// designKnobs are the knobs that need an origin: all but "mutations".
func (v *Variant) designKnobs() []Knob {
	ks := v.Knobs()
	out := ks[:0:0]
	for _, k := range ks {
		if k.Name != "mutations" {
			out = append(out, k)
		}
	}
	return out
}

// KnobOrigins lists every design knob of the variant with its origin, in
// schema order. A knob without one has an empty Origin (Kind() == "").
func (v *Variant) KnobOrigins() ([]KnobOrigin, error) {
	ko, err := resolve(v.designKnobs(), v.Provenance, variantSection)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: provenance: %v", ErrVariant, v.Name, err)
	}
	return ko, nil
}

// Status is the preset's standing in a few words ("text 726e115",
// "Synapse 1.157.0", "unverified", "design alternative"), for reports and
// run headers that name the preset; "no provenance" when the file has none.
//
// Knobs a scenario overrode follow in parentheses: "text 726e115
// (overridden: flow.ack)".
func (v *Variant) Status() string {
	st := "no provenance"
	if v.Provenance != nil && v.Provenance.Status != "" {
		st = v.Provenance.Status
	}
	if o := v.Overridden(); len(o) > 0 {
		st += " (overridden: " + strings.Join(o, ", ") + ")"
	}
	return st
}

// Override records that a scenario set knob to value: the knob's origin
// becomes Overridden, wherever the preset named it (a comma-separated key
// loses the name, a section key keeps covering the others). The
// provenance is copied first, so presets loaded elsewhere are untouched.
// A variant without provenance gets one whose status is "no provenance".
func (v *Variant) Override(knob, value string) {
	p := &Provenance{Status: "no provenance", Knobs: map[string]Origin{}}
	if v.Provenance != nil {
		p.Status = v.Provenance.Status
		for key, o := range v.Provenance.Knobs {
			var rest []string
			for _, name := range strings.Split(key, ",") {
				if name = strings.TrimSpace(name); name != knob {
					rest = append(rest, name)
				}
			}
			if len(rest) > 0 {
				p.Knobs[strings.Join(rest, ", ")] = o
			}
		}
	}
	p.Knobs[knob] = Origin{Overridden: "set to " + value + " by the scenario; the preset's origin does not apply"}
	v.Provenance = p
}

// Overridden lists the knobs a scenario overrode (Override), sorted.
func (v *Variant) Overridden() []string {
	if v.Provenance == nil {
		return nil
	}
	var out []string
	for _, key := range slices.Sorted(maps.Keys(v.Provenance.Knobs)) {
		if v.Provenance.Knobs[key].Overridden != "" {
			out = append(out, key)
		}
	}
	return out
}

// Status returns the status of the built-in preset name (see
// Variant.Status), or an error naming the known presets.
func Status(name string) (string, error) {
	v, err := Load(name)
	if err != nil {
		return "", err
	}
	return v.Status(), nil
}

// provenanceFile is where the provenance of a component preset lives.
func provenanceFile(component string) string {
	return path.Join("provenance", component+".json")
}
