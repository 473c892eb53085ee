package canonicaljson

import (
	"encoding/json"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// topStringByParse is what TopString must agree with: Parse, then Get.
func topStringByParse(doc []byte, key string) (string, bool) {
	v, err := Parse(doc)
	if err != nil {
		return "", false
	}
	f, ok := v.Get(key)
	if !ok || f.Kind != String {
		return "", false
	}
	return f.Str, true
}

// fataler is what checkTopString needs of testing.T and rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func checkTopString(t fataler, doc []byte, key string) {
	t.Helper()
	got, gotOK := TopString(doc, key)
	want, wantOK := topStringByParse(doc, key)
	if got != want || gotOK != wantOK {
		t.Fatalf("TopString(%q, %q) = %q, %v; Parse and Get: %q, %v", doc, key, got, gotOK, want, wantOK)
	}
}

// topStringDocs are documents every refusal of Parse and the member's
// every shape touch: the key missing, not a string, escaped, nested only,
// duplicated before or after, in an object that is not the top level.
var topStringDocs = []string{
	``, ` `, `{}`, `[]`, `"type"`, `1`, `null`, ` {"type":"a"} `, `{"type":"a"}x`, `{"type":"a"} {}`,
	`{"type":"m.login.secrets","x":1}`, `{"x":1,"type":"m.login.success"}`, `{"type":1}`, `{"type":null}`,
	`{"type":{"type":"a"}}`, `{"a":{"type":"a"}}`, `[{"type":"a"}]`, `{"type":"a","type":"b"}`,
	`{"type":"a","x":{"y":1,"y":2}}`, `{"x":[{"y":1,"y":2}],"type":"a"}`, `{"ty\u0070e":"a"}`, `{"type":"\u00e9\n"}`,
	`{"type":"a","n":1.5}`, `{"type":"a","n":1e3}`, `{"type":"a","n":9007199254740992}`, `{"type":"a","n":-0}`,
	`{"type":"a","n":01}`, `{"type":"a",}`, `{"type":"a" "x":1}`, `{"type" "a"}`, `{"type":"\ud800"}`,
	"{\"type\":\"\xff\"}", "{\"type\":\"a\",\"x\":\"\x01\"}", `{"type":"a","x":tru}`, `{"type":"a","x":[1,2,]}`,
	`{"type":"a","x":"\q"}`, `{"type":"a"`, `{"type":`, `{"type"`, `{"`, `{`,
	`{"type":"a","k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k1":0}`,
	`{"type":"a","x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
	`{"type":"a","x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`,
}

// TestTopStringAgrees holds TopString to Parse followed by Get: on the
// documents above, the specification's vectors, and random documents
// (with the key at the top level, nested, or absent) and their prefixes.
func TestTopStringAgrees(t *testing.T) {
	for _, d := range topStringDocs {
		for _, key := range []string{"type", "x", "n", ""} {
			checkTopString(t, []byte(d), key)
		}
	}
	for _, v := range loadSpecVectors(t).Canonical {
		for _, key := range []string{"one", "two", "a", "b", "auth", "mxid"} {
			checkTopString(t, []byte(v.Input), key)
		}
	}
	docs := jsonDocs(3, rapid.SampledFrom([]string{"type", "a", "b", "x"}),
		rapid.SampledFrom([]string{"type", "a", "m.login.secrets", "é\n\"", ""}), rapid.String())
	rapid.Check(t, func(t *rapid.T) {
		doc, err := json.Marshal(docs.Draw(t, "doc"))
		if err != nil {
			t.Fatal(err)
		}
		cut := rapid.IntRange(0, len(doc)).Draw(t, "cut")
		for _, d := range [][]byte{doc, doc[:cut]} {
			for _, key := range []string{"type", "a"} {
				checkTopString(t, d, key)
			}
		}
	})
}

func FuzzTopString(f *testing.F) {
	for _, d := range topStringDocs {
		f.Add([]byte(d), "type")
	}
	f.Add([]byte(`{"type":"m.login.protocol","device_id":"ABC","protocol":"device_authorization_grant"}`), "device_id")
	f.Fuzz(func(t *testing.T, doc []byte, key string) {
		checkTopString(t, doc, key)
	})
}
