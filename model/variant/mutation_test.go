package variant

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestMutantsLoad: every mutant file loads through both names, carries
// exactly the mutation it is named after on an honest base preset, and is
// not listed among the presets.
func TestMutantsLoad(t *testing.T) {
	names := MutantNames()
	if len(names) != len(MutationNames()) {
		t.Fatalf("mutants %v, mutations %v: want one mutant per mutation", names, MutationNames())
	}
	presets := strings.Join(Names(), ",")
	for _, n := range names {
		v, err := LoadMutant(n)
		if err != nil {
			t.Fatal(err)
		}
		w, err := Load(MutantPrefix + n)
		if err != nil || !reflect.DeepEqual(w, v) {
			t.Fatalf("%s: Load(mutant/...) = %v, %v", n, w.Name, err)
		}
		if v.Name != MutantPrefix+n || v.Mutations.String() != n || !v.Mutations.Has(n) {
			t.Fatalf("%s: name %q, mutations %q", n, v.Name, v.Mutations)
		}
		if strings.Contains(presets, n) {
			t.Fatalf("%s listed among the presets %s", n, presets)
		}
		base, err := Load(MutantBase(v))
		if err != nil {
			t.Fatalf("%s: base: %v", n, err)
		}
		// The mutant is its base plus the mutation.
		base.Name, base.Description, base.Mutations, base.Provenance = v.Name, v.Description, v.Mutations, v.Provenance
		if !reflect.DeepEqual(base, v) {
			t.Fatalf("%s differs from its base %s beyond the mutation", n, MutantBase(v))
		}
		b, err := v.Marshal()
		if err != nil || !strings.Contains(string(b), `"mutations": [`) {
			t.Fatalf("%s: marshal: %v\n%s", n, err, b)
		}
	}
	if _, err := LoadMutant("nope"); err == nil || !strings.Contains(err.Error(), "static-nonce") {
		t.Fatalf("unknown mutant: %v", err)
	}
}

// TestHonestPresetsHaveNoMutations: every preset is honest, and its file
// has no mutations field.
func TestHonestPresetsHaveNoMutations(t *testing.T) {
	for _, n := range Names() {
		v := MustLoad(n)
		if !v.Mutations.IsZero() {
			t.Fatalf("%s carries mutations %s", n, v.Mutations)
		}
		b, _ := v.Marshal()
		if strings.Contains(string(b), "mutations") {
			t.Fatalf("%s marshals a mutations field", n)
		}
		cc, _ := v.ChannelConfig()
		rc, _ := v.RendezvousConfig()
		if cc.StaticNonce || cc.SharedDirectionKey || cc.ReuseEphemeralKey || rc.IgnoreToken || rc.NoExpiry {
			t.Fatalf("%s: a mutation reached the channel or store configuration", n)
		}
	}
}

// TestMutationsValidate: unknown, repeated and misplaced mutations are
// refused with the field and the valid names.
func TestMutationsValidate(t *testing.T) {
	good, _ := MustLoad("msc4388").Marshal()
	etag, _ := MustLoad("msc4108-2024").Marshal()
	with := func(b []byte, list string) []byte {
		return []byte(strings.Replace(string(b), "\n}\n", ",\n  \"mutations\": "+list+"\n}\n", 1))
	}
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"unknown", with(good, `["rot13"]`), `mutations: "rot13" is not valid (want no-check-code, secrets-before-device-check`},
		{"twice", with(good, `["static-nonce", "static-nonce"]`), "each name once"},
		{"not a list", with(good, `"static-nonce"`), "mutations"},
		{"ignore-etag on JSON", with(good, `["ignore-etag"]`), "ignore-etag"},
		{"ignore-sequence-token on etag", with(etag, `["ignore-sequence-token"]`), "ignore-sequence-token"},
		{"no-aad-binding without binding", with(etag, `["no-aad-binding"]`), "aad_binding"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.in, "x")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: got %v, want %q", tc.name, err, tc.want)
		}
		if tc.name != "not a list" && !errors.Is(err, ErrVariant) {
			t.Fatalf("%s: %v is not ErrVariant", tc.name, err)
		}
	}
	v, err := Parse(with(good, `["static-nonce", "no-expiry"]`), "x")
	if err != nil {
		t.Fatal(err)
	}
	cc, _ := v.ChannelConfig()
	rc, _ := v.RendezvousConfig()
	if !cc.StaticNonce || !rc.NoExpiry || cc.SharedDirectionKey || rc.IgnoreToken {
		t.Fatalf("knobs not passed on: %+v %+v", cc, rc.NoExpiry)
	}
	last := v.Knobs()[len(v.Knobs())-1]
	if last.Name != "mutations" || last.Value != "static-nonce, no-expiry" {
		t.Fatalf("knob %+v", last)
	}
}
