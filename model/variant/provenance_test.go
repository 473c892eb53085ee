package variant

import (
	"bytes"
	"strings"
	"testing"
)

// TestEveryPresetKnobHasProvenance fails when a knob of a built-in preset
// has no origin (source, lab-default, unverified or design-alternative), or
// a preset has no status.
func TestEveryPresetKnobHasProvenance(t *testing.T) {
	for _, n := range Names() {
		v := MustLoad(n)
		if v.Provenance == nil {
			t.Errorf("%s: no provenance block", n)
			continue
		}
		if v.Status() == "" || v.Status() == "no provenance" {
			t.Errorf("%s: no status", n)
		}
		ko, err := v.KnobOrigins()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for _, k := range ko {
			if k.Origin.Kind() == "" {
				t.Errorf("%s: knob %s (= %q) has no provenance", n, k.Name, k.Value)
			}
			if k.Origin.Kind() == OriginOverridden {
				t.Errorf("%s: knob %s: a preset file says overridden, which only a scenario's set may", n, k.Name)
			}
		}
	}
}

// TestEveryComponentPresetHasProvenance fails when a rendezvous, OAuth or
// homeserver preset, or one of its Config fields, has no origin.
func TestEveryComponentPresetHasProvenance(t *testing.T) {
	for _, c := range Components() {
		names, err := ComponentPresetNames(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			ko, status, err := ComponentOrigins(c, n)
			if err != nil {
				t.Fatalf("%s/%s: %v", c, n, err)
			}
			if status == "no provenance" {
				t.Errorf("%s preset %s: no provenance entry", c, n)
				continue
			}
			for _, k := range ko {
				if k.Origin.Kind() == "" {
					t.Errorf("%s preset %s: field %s (= %s) has no provenance", c, n, k.Name, k.Value)
				}
			}
		}
	}
}

// TestSourceCatalogue checks every reference names a repository, path and
// full commit, or is a document.
func TestSourceCatalogue(t *testing.T) {
	cat, err := Sources()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat) == 0 {
		t.Fatal("empty source catalogue")
	}
}

// TestBadProvenance checks that a malformed provenance block is refused
// with a message naming the problem.
func TestBadProvenance(t *testing.T) {
	good, err := MustLoad("msc4388").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) []byte {
		if !strings.Contains(string(good), old) {
			t.Fatalf("test edit: %q not in the preset", old)
		}
		return []byte(strings.Replace(string(good), old, new, 1))
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"unknown knob", edit(`"knobs": {`, `"knobs": {"flow.colour": {"lab-default": "x"}, `), `"flow.colour" is no knob or section`},
		{"two kinds", edit(`"knobs": {`, `"knobs": {"timing.http_retries": {"lab-default": "x", "unverified": "y"}, `), "exactly one of"},
		{"no kind", edit(`"knobs": {`, `"knobs": {"timing.http_retries": {}, `), "exactly one of"},
		{"unknown source", edit(`"source": "msc4388-726e115"`, `"source": "msc9999"`), `source "msc9999" is not in the catalogue`},
		{"note without source", edit(`"knobs": {`, `"knobs": {"timing.http_retries": {"lab-default": "x", "note": "y"}, `), "note goes with source only"},
		{"empty status", edit(`"status": "text 726e115"`, `"status": ""`), "provenance.status"},
		{"unknown field", edit(`"knobs": {`, `"knobs": {"timing.http_retries": {"sauce": "x"}, `), `unknown field "sauce"`},
	}
	for _, c := range cases {
		_, err := Parse(c.in, "msc4388.json")
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
}

// TestProvenanceOptional checks that a preset file of one's own may leave
// provenance out, and then reports it as missing, not invented.
func TestProvenanceOptional(t *testing.T) {
	v := MustLoad("msc4388")
	v.Provenance = nil
	b, err := v.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	w, err := Parse(b, "msc4388.json")
	if err != nil {
		t.Fatal(err)
	}
	if w.Status() != "no provenance" {
		t.Errorf("status %q, want no provenance", w.Status())
	}
	var out bytes.Buffer
	if err := WriteProvenance(&out, &w); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "MISSING") {
		t.Errorf("a preset without provenance lists no MISSING knob:\n%s", out.String())
	}
}

// TestWriteProvenance checks the listing names every knob of the preset
// and of its component presets, each with an origin, and the sources cited.
func TestWriteProvenance(t *testing.T) {
	for _, n := range Names() {
		v := MustLoad(n)
		var out bytes.Buffer
		if err := WriteProvenance(&out, &v); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		s := out.String()
		if strings.Contains(s, "MISSING") {
			t.Errorf("%s: listing has a knob without provenance:\n%s", n, s)
		}
		for _, k := range v.designKnobs() {
			if !strings.Contains(s, "\n  "+k.Name+" ") {
				t.Errorf("%s: knob %s not listed", n, k.Name)
			}
		}
		if !strings.Contains(s, "["+v.Status()+"]") || !strings.Contains(s, "sources cited:") {
			t.Errorf("%s: no status or no sources in the listing:\n%s", n, s)
		}
	}
}

// TestOverride: Override marks one knob, takes it out of a comma-separated
// key without disturbing the others, leaves the preset it was loaded from
// untouched, and the result still validates.
func TestOverride(t *testing.T) {
	v := MustLoad("msc4388-726e115")
	before, _ := v.KnobOrigins()
	v.Override("flow.confirm_account", "false") // named by the key "flow.whoami, flow.confirm_account"
	if got := v.Overridden(); len(got) != 1 || got[0] != "flow.confirm_account" {
		t.Fatalf("overridden %v", got)
	}
	if err := v.validateProvenance(); err != nil {
		t.Fatal(err)
	}
	after, err := v.KnobOrigins()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range after {
		want := before[i].Origin
		if k.Name == "flow.confirm_account" {
			want = Origin{Overridden: "set to false by the scenario; the preset's origin does not apply"}
		}
		if k.Origin != want {
			t.Errorf("%s: origin %+v, want %+v", k.Name, k.Origin, want)
		}
	}
	fresh := MustLoad("msc4388-726e115")
	if o := fresh.Overridden(); len(o) != 0 {
		t.Fatalf("the built-in preset changed: %v", o)
	}
}
