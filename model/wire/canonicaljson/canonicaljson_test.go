package canonicaljson

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// specVectors are the canonical JSON examples of the Matrix specification's
// appendix.
type specVectors struct {
	Canonical []struct {
		Input     string `json:"input"`
		Canonical string `json:"canonical"`
	} `json:"canonical"`
}

func loadSpecVectors(t *testing.T) specVectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/spec_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v specVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCanonicalJSONSpecVectors runs the examples of the Matrix appendix.
func TestCanonicalJSONSpecVectors(t *testing.T) {
	v := loadSpecVectors(t)
	if len(v.Canonical) != 10 {
		t.Fatalf("%d canonical vectors, want the appendix's 10", len(v.Canonical))
	}
	for _, tc := range v.Canonical {
		got, err := Reencode([]byte(tc.Input))
		if err != nil {
			t.Errorf("%q: %v", tc.Input, err)
			continue
		}
		if string(got) != tc.Canonical {
			t.Errorf("%q:\n got %s\nwant %s", tc.Input, got, tc.Canonical)
		}
		// Canonical form is a fixed point.
		again, err := Reencode(got)
		if err != nil || !bytes.Equal(again, got) {
			t.Errorf("%s is not a fixed point: %s %v", got, again, err)
		}
	}
}

func TestCanonicalJSONRefusals(t *testing.T) {
	cases := []struct {
		in  string
		err error
	}{
		{`{"a":1.5}`, ErrFloat},
		{`{"a":1e-1}`, ErrFloat},
		{`{"a":9007199254740992}`, ErrRange},
		{`{"a":-9007199254740992}`, ErrRange},
		{`{"a":1e16}`, ErrRange},
		{`{"a":1e999999999999}`, ErrRange},
		{`{"a":1,"a":2}`, ErrDuplicateKey},
		{`{"a":"\ud800"}`, ErrUTF8},
		{`{"a":"\udc00\ud800"}`, ErrUTF8},
		{"{\"a\":\"\xff\"}", ErrUTF8},
		{`{"a":"x`, ErrSyntax},
		{`{"a":01}`, ErrSyntax},
		{`{"a":1,}`, ErrSyntax},
		{`{"a":"\x"}`, ErrSyntax},
		{"{\"a\":\"\x01\"}", ErrSyntax},
		{`{} {}`, ErrSyntax},
		{`{"a":tru}`, ErrSyntax},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrDepth},
	}
	for _, tc := range cases {
		if _, err := Reencode([]byte(tc.in)); !errors.Is(err, tc.err) {
			t.Errorf("%q: got %v, want %v", tc.in, err, tc.err)
		}
	}
	ok := []struct{ in, out string }{
		{`9007199254740991`, `9007199254740991`},
		{`-9007199254740991`, `-9007199254740991`},
		{`1.0`, `1`},
		{`12.50e1`, `125`},
		{`0.0e-5`, `0`},
		{`"\u00e9\n\t\u0001\u2028/\/"`, "\"\u00e9\\n\\t\\u0001\u2028//\""},
		{`"\ud83d\ude00"`, "\"\U0001F600\""},
		{`[1,[true,false,null],{"b":{},"a":[]}]`, `[1,[true,false,null],{"a":[],"b":{}}]`},
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)},
	}
	for _, tc := range ok {
		got, err := Reencode([]byte(tc.in))
		if err != nil || string(got) != tc.out {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.out)
		}
	}
}

// TestCanonicalJSONMatchesReference compares the encoder with a reference
// built from encoding/json (which sorts map keys by byte order, like code
// points in UTF-8) on random documents without floats.
func TestCanonicalJSONMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		doc := jsonDocs(3, rapid.String(), rapid.String()).Draw(t, "doc")
		var ref bytes.Buffer
		enc := json.NewEncoder(&ref)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(ref.Bytes(), []byte("\n"))
		// encoding/json escapes U+2028, U+2029 and invalid UTF-8 (which
		// rapid.String never makes); canonical JSON writes them raw.
		want = bytes.ReplaceAll(want, []byte(`\u2028`), []byte("\u2028"))
		want = bytes.ReplaceAll(want, []byte(`\u2029`), []byte("\u2029"))
		got, err := Reencode(ref.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", ref.Bytes(), err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

// TestKeysPerObject: a key may come again in a nested or a sibling object
// (each object's keys are its own, whatever the reader keeps them in), but
// not twice in one object, at whatever depth.
func TestKeysPerObject(t *testing.T) {
	for _, doc := range []string{
		`{"a":{"a":1,"b":[{"a":2,"b":3},{"a":4}]},"b":{"a":5}}`,
		`[{"k":1},{"k":2},[{"j":{"k":4},"k":3}]]`,
	} {
		got, err := Reencode([]byte(doc))
		if err != nil || string(got) != doc {
			t.Errorf("%s: got %s, %v", doc, got, err)
		}
	}
	for doc, off := range map[string]string{
		`{"a":{"b":1,"c":{"d":2},"b":3}}`:     "offset 24:",
		`{"a":1,"b":{"a":[1,{"x":0}]},"a":2}`: "offset 29:",
		`[{"x":{},"y":[],"x":1}]`:             "offset 16:",
	} {
		_, err := Parse([]byte(doc))
		if !errors.Is(err, ErrDuplicateKey) || !strings.HasPrefix(err.Error(), off) {
			t.Errorf("%s: %v, want a duplicate key at %s", doc, err, off)
		}
	}
}

// TestIntegers: every spelling of an integer reads as its value, and the
// range and fraction refusals hold, for plain integers and for those with
// a fraction or an exponent.
func TestIntegers(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "-0": 0, "7": 7, "-7": -7, "1e0": 1, "1E+0": 1, "1e-0": 1, "10e-1": 1, "1.0": 1, "1.5e1": 15,
		"9007199254740991": maxSafeInt, "-9007199254740991": -maxSafeInt, "900719925474099.1e1": maxSafeInt,
		"1000000000000000": 1e15, "0.0e5": 0,
	} {
		v, err := Parse([]byte(in))
		if err != nil || v.Kind != Int || v.Int != want {
			t.Errorf("%s: %+v, %v; want %d", in, v, err, want)
		}
	}
	for in, want := range map[string]error{
		"9007199254740992": ErrRange, "-9007199254740992": ErrRange, "12345678901234567": ErrRange,
		"99999999999999999999": ErrRange, "1e16": ErrRange, "1.5": ErrFloat, "1e-1": ErrFloat,
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, want) || !strings.Contains(err.Error(), "number "+in+":") {
			t.Errorf("%s: %v, want %v naming the number", in, err, want)
		}
	}
}

// jsonDocs generates JSON documents without floats, as encoding/json
// marshals them, nested up to depth: null, booleans, safe integers, a
// string from each of strs, and arrays and objects of up to four members
// whose keys are drawn from keys.
func jsonDocs(depth int, keys *rapid.Generator[string], strs ...*rapid.Generator[string]) *rapid.Generator[any] {
	leaves := []*rapid.Generator[any]{
		rapid.Just[any](nil),
		rapid.Map(rapid.Bool(), func(b bool) any { return b }),
		rapid.Map(rapid.Int64Range(-maxSafeInt, maxSafeInt), func(n int64) any { return n }),
	}
	for _, g := range strs {
		leaves = append(leaves, rapid.Map(g, func(s string) any { return s }))
	}
	leaf := rapid.OneOf(leaves...)
	if depth <= 0 {
		return leaf
	}
	return rapid.OneOf(
		leaf,
		rapid.Map(rapid.SliceOfN(jsonDocs(depth-1, keys, strs...), 0, 4), func(v []any) any { return v }),
		rapid.Map(rapid.MapOfN(keys, jsonDocs(depth-1, keys, strs...), 0, 4), func(m map[string]any) any { return m }),
	)
}
