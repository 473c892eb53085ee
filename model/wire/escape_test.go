package wire

import (
	"encoding/json"
	"testing"
)

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"abc", `"abc"`},
		{`"\/`, `"\"\\/"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"\x1b[", `"\u001b["`},
		{"\x7f", "\"\x7f\""},
		{"é😀\u2028", "\"é😀\u2028\""},
		{"a\"b", `"a\"b"`},
	} {
		if got := string(AppendString([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if got := string(AppendBytes(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("AppendBytes([]byte(%q)) = %s, want %s", tc.in, got, tc.want)
		}
		var back string
		if err := json.Unmarshal(AppendString(nil, tc.in), &back); err != nil || back != tc.in {
			t.Errorf("%q does not read back: %q %v", tc.in, back, err)
		}
	}
}

func TestAppendBytesEmpty(t *testing.T) {
	if got := string(AppendBytes(nil, nil)); got != `""` {
		t.Fatalf("AppendBytes(nil) = %s", got)
	}
}

func TestAppendStringAllBytes(t *testing.T) {
	var in []byte
	for c := range 0x80 {
		in = append(in, byte(c))
	}
	out := AppendBytes(nil, in)
	if string(out) != string(AppendString(nil, string(in))) {
		t.Fatal("AppendBytes and AppendString differ")
	}
	var back string
	if err := json.Unmarshal(out, &back); err != nil || back != string(in) {
		t.Fatalf("%s reads back as %q %v", out, back, err)
	}
	r := Reader{B: out}
	if escaped, f := r.Str(); !f.OK() || !escaped || r.I != len(out) {
		t.Fatalf("the reader refuses %s: %v", out, f)
	}
	if got := Unescape(out[1 : len(out)-1]); string(got) != string(in) {
		t.Fatalf("Unescape gives %q", got)
	}
}
