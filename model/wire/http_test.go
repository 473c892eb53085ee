package wire

import (
	"strings"
	"testing"
)

func TestHeader(t *testing.T) {
	h := Header{{Name: "Content-Type", Value: "a"}, {Name: "X-Two", Value: "1"}}
	h.Add("x-two", "2")
	if h.Get("content-type") != "a" || h.Get("CONTENT-TYPE") != "a" || h.Get("Content-Typ") != "" {
		t.Fatal("Get is not case-insensitive")
	}
	if v, ok := h.Lookup("x-TWO"); !ok || v != "1" {
		t.Fatalf("Lookup gives %q %v, want the first line", v, ok)
	}
	if _, ok := h.Lookup("missing"); ok {
		t.Fatal("Lookup of a missing name")
	}
	if h.Count("X-TWO") != 2 || strings.Join(h.Values("x-two"), ",") != "1,2" {
		t.Fatalf("Count/Values: %d %v", h.Count("X-TWO"), h.Values("x-two"))
	}
	if h.Values("missing") != nil {
		t.Fatal("Values of a missing name is not nil")
	}
	h.Set("X-Two", "3")
	if len(h) != 2 || h[0].Name != "Content-Type" || h[1] != (Field{Name: "X-Two", Value: "3"}) {
		t.Fatalf("Set did not replace both lines with one in place: %v", h)
	}
	h.Set("New", "v")
	if len(h) != 3 || h[2] != (Field{Name: "New", Value: "v"}) {
		t.Fatalf("Set of a new name did not append: %v", h)
	}
}

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"Sec-Fetch-Mode", "sec-fetch-mode", true},
		{"ETAG", "etag", true},
		{"a-b", "A_B", false},
		{"ab", "abc", false},
		{"[", "{", false}, // 0x5b and 0x7b differ by the case bit but are not letters
		{"@", "`", false},
		{"é", "É", false}, // ASCII only
	} {
		if got := EqualFold(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// TestPathOf takes the path and query out of absolute URLs.
func TestPathOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://h.example/a/b?c=d": "/a/b?c=d",
		"https://h.example":         "/",
		"http://h.example:8008/x":   "/x",
		"/already/a/path":           "/already/a/path",
	} {
		if got := PathOf(in); got != want {
			t.Errorf("PathOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNewHeader checks that pairs become lines in order and that a trailing
// name without a value is dropped rather than read past the end.
func TestNewHeader(t *testing.T) {
	cases := []struct {
		name  string
		pairs []string
		want  Header
	}{
		{"empty", nil, Header{}},
		{"two lines in order", []string{"B", "2", "A", "1"}, Header{{"B", "2"}, {"A", "1"}}},
		{"odd count", []string{"A", "1", "B"}, Header{{"A", "1"}}},
	}
	for _, tc := range cases {
		got := NewHeader(tc.pairs...)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
	if h := JSONHeader(); len(h) != 1 || h.Get("content-type") != ContentTypeJSON {
		t.Errorf("JSONHeader() = %v", h)
	}
}
