package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// readDoc reads b as one document the way the packages do: a value with
// optional white space around it and nothing after.
func readDoc(b []byte) Fault {
	r := Reader{B: b}
	r.Space()
	if f := r.Value(0); !f.OK() {
		return f
	}
	r.Space()
	if r.I != len(b) {
		return Fault{r.I, "data after the value"}
	}
	return Fault{}
}

// TestTable checks the constant lookup table Str indexes by byte.
func TestTable(t *testing.T) {
	if len(plainByte) != 256 {
		t.Fatalf("table length %d", len(plainByte))
	}
	for c := range 256 {
		wantPlain := c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
		if (plainByte[c] != 0) != wantPlain {
			t.Errorf("plainByte[%#x] = %d", c, plainByte[c])
		}
	}
}

// TestAgreesWithEncodingJSON checks validity against encoding/json on the
// grammar's corners (valid UTF-8, no lone surrogates: there encoding/json
// is laxer than RFC 8259).
func TestAgreesWithEncodingJSON(t *testing.T) {
	values := []string{
		`0`, `-0`, `-0.0e-0`, `1.5E+10`, `123456789012345678901234567890`, `1e5`, `-1`, `10`,
		`-`, `01`, `1.`, `.5`, `+1`, `0x10`, `1e`, `1e+`, `1e5.5`, `--1`, `1.e3`, `-a`, `1E-`,
		`true`, `false`, `null`, `tru`, `nulll`, `True`, `NaN`, `Infinity`, `fals`, `nul`,
		`""`, `"\/\b\f\n\r\t\"\\"`, `"\u00e9\uD83D\uDE00"`, `"\u00zz"`, `"\x"`, `"\u12"`, `"é"`, `"abc`, `"\`, `"\u`,
		`[]`, `[1,2,[3,{}]]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`, `[1`, `[1,`,
		`{}`, `{"a":{"b":[null]}}`, `{"a":1,}`, `{"a" 1}`, `{,}`, `{"a":1 "b":2}`, `{1:2}`, `{"a"`, `{"a":`, `{"a":1`,
		`{"a":1,"a":2}`, " \t\r\n[ 1 , 2 ] ", "\f1", "\v1", `"a` + "\t" + `b"`, "\ufeff{}", `{} {}`, ``, ` `,
	}
	for _, v := range values {
		if got, want := readDoc([]byte(v)).OK(), json.Valid([]byte(v)); got != want {
			t.Errorf("%q: reader %v, encoding/json %v", v, got, want)
		}
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
		detail string
	}{
		{``, 0, "unexpected end of input, want a value"},
		{`x`, 0, "invalid character, want a value"},
		{`[1,]`, 3, "invalid character, want a value"},
		{`tru`, 0, "invalid literal, want true"},
		{`nul`, 0, "invalid literal, want null"},
		{`[fals]`, 1, "invalid literal, want false"},
		{`-`, 1, "unexpected end of input in number"},
		{`-x`, 1, "invalid number"},
		{`1.`, 2, "invalid number: no digit after the decimal point"},
		{`1e+`, 3, "invalid number: no digit in the exponent"},
		{`"ab`, 3, "unterminated string"},
		{`"a\`, 2, "unexpected end of input in escape"},
		{`"a\x"`, 2, "invalid escape"},
		{`"a\u12"`, 2, `invalid \u escape`},
		{`"a\ud800"`, 2, `lone surrogate in \u escape`},
		{`"a\ud800\u0041"`, 2, `lone surrogate in \u escape`},
		{`"a\udc00"`, 2, `lone surrogate in \u escape`},
		{"\"a\x01\"", 2, "control character in string"},
		{"\"a\xff\"", 2, "invalid UTF-8 in string"},
		{"\"a\xed\xa0\x80\"", 2, "invalid UTF-8 in string"},
		{`[1 2]`, 3, "want , or ] in array"},
		{`[1`, 2, "unexpected end of input in array"},
		{`{1:2}`, 1, "want a string key in object"},
		{`{"a",}`, 4, "want : after object key"},
		{`{"a":1 "b":2}`, 7, "want , or } in object"},
		{`{"a":1`, 6, "unexpected end of input in object"},
		{`{"a":1,}`, 7, "want a string key in object"},
		{`{"a\x":1}`, 3, "invalid escape"},
		{strings.Repeat("[", MaxDepth+1), MaxDepth, "nested too deeply"},
		{strings.Repeat(`{"a":`, MaxDepth) + "[", 5 * MaxDepth, "nested too deeply"},
	} {
		f := readDoc([]byte(tc.in))
		if f.Offset != tc.offset || f.Detail != tc.detail {
			t.Errorf("%.40q: fault %d %q, want %d %q", tc.in, f.Offset, f.Detail, tc.offset, tc.detail)
		}
		if f.OK() || f.TooDeep() != (tc.detail == "nested too deeply") {
			t.Errorf("%.40q: OK %v TooDeep %v", tc.in, f.OK(), f.TooDeep())
		}
	}
}

func TestDepth(t *testing.T) {
	for _, open := range []string{"[", `{"k":`} {
		closer := "]"
		if open != "[" {
			closer = "}"
		}
		deepest := strings.Repeat(open, MaxDepth) + "1" + strings.Repeat(closer, MaxDepth)
		if f := readDoc([]byte(deepest)); !f.OK() {
			t.Errorf("%d levels of %s refused: %v", MaxDepth, open, f)
		}
		tooDeep := strings.Repeat(open, MaxDepth+1) + "1" + strings.Repeat(closer, MaxDepth+1)
		if f := readDoc([]byte(tooDeep)); !f.TooDeep() {
			t.Errorf("%d levels of %s: fault %v", MaxDepth+1, open, f)
		}
	}
	// The depth passed in counts: a value inside a container at depth
	// MaxDepth may not open another.
	r := Reader{B: []byte(`[]`)}
	if f := r.Value(MaxDepth); !f.TooDeep() || f.Offset != 0 {
		t.Errorf("Value(MaxDepth) of []: %v", f)
	}
	r = Reader{B: []byte(`{}`)}
	if _, f := r.OpenObject(MaxDepth + 1); !f.TooDeep() {
		t.Errorf("OpenObject(MaxDepth+1): %v", f)
	}
	r = Reader{B: []byte(`"s"`)}
	if f := r.Value(MaxDepth); !f.OK() {
		t.Errorf("Value(MaxDepth) of a string: %v", f)
	}
}

// TestObjectMembers reads an object member by member, as the packages do.
func TestObjectMembers(t *testing.T) {
	doc := []byte(` { "a" : 1 , "b\u0063" :"x\ny", "d":{"e":[]} } tail`)
	r := Reader{B: doc, I: 1}
	empty, f := r.OpenObject(1)
	if empty || !f.OK() || doc[r.I] != '"' {
		t.Fatalf("OpenObject: %v %v at %d", empty, f, r.I)
	}
	var keys, values []string
	for {
		raw, escaped, f := r.Key()
		if !f.OK() {
			t.Fatal(f)
		}
		if escaped != bytes.Contains(raw, []byte(`\`)) {
			t.Errorf("key %s: escaped %v", raw, escaped)
		}
		keys = append(keys, string(Unescape(raw)))
		start := r.I
		if f := r.Value(1); !f.OK() {
			t.Fatal(f)
		}
		values = append(values, string(doc[start:r.I]))
		more, f := r.NextMember()
		if !f.OK() {
			t.Fatal(f)
		}
		if !more {
			break
		}
	}
	if strings.Join(keys, "|") != "a|bc|d" || strings.Join(values, "|") != `1|"x\ny"|{"e":[]}` {
		t.Fatalf("keys %q values %q", keys, values)
	}
	if string(doc[r.I:]) != " tail" {
		t.Fatalf("left at %q", doc[r.I:])
	}
	r = Reader{B: []byte("{ \n}x")}
	if empty, f := r.OpenObject(1); !empty || !f.OK() || r.I != 4 {
		t.Fatalf("empty object: %v %v at %d", empty, f, r.I)
	}
}

func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{``, ``},
		{`abc`, `abc`},
		{`\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t"},
		{`a\u00e9b`, "aéb"},
		{`\u0000`, "\x00"},
		{`\uD83D\uDE00!`, "😀!"},
		{`\u2028`, "\u2028"},
		// Not valid string bodies: decoding stops, and never panics.
		{`ab\`, `ab`},
		{`ab\u12`, `ab`},
		{`ab\ud800`, `ab`},
		{`ab\ud800\u12`, `ab`},
		{`\ud800\u0041x`, "\uFFFDx"},
	} {
		if got := string(Unescape([]byte(tc.raw))); got != tc.want {
			t.Errorf("Unescape(%s) = %q, want %q", tc.raw, got, tc.want)
		}
		if got := string(AppendUnescaped([]byte("p"), []byte(tc.raw))); got != "p"+tc.want {
			t.Errorf("AppendUnescaped(%s) = %q", tc.raw, got)
		}
	}
	raw := []byte("plain")
	if got := Unescape(raw); &got[0] != &raw[0] {
		t.Error("Unescape copied a body without escapes")
	}
}

// FuzzReaderEncodingJSON checks the reader against encoding/json: what it accepts is
// JSON, every string decodes as encoding/json decodes it, and what
// encoding/json accepts the reader accepts unless it is one of the inputs
// where encoding/json is laxer than RFC 8259 (invalid UTF-8, escaped
// surrogates). fuzz/decode/wire's FuzzReader, in a lean binary, holds the
// reader to a grammar-direct reference instead, at decoder speed.
func FuzzReaderEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b\u00e9",{"c":null}]}`, `"\ud83d\ude00"`, `-0.5e+7`, `[`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fault := readDoc(b)
		valid := json.Valid(b)
		if fault.OK() && !valid {
			t.Fatalf("the reader accepts %q", b)
		}
		// Only a refusal of valid JSON needs the lax test (which copies the
		// input): keeping it off the common path keeps the target fast.
		if valid && !fault.OK() && utf8.Valid(b) && !bytes.Contains(bytes.ToLower(b), []byte(`\ud`)) {
			t.Fatalf("the reader refuses %q: %v", b, fault)
		}
		if !fault.OK() || len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] != '"' {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		body := bytes.TrimSpace(b)
		if got := Unescape(body[1 : len(body)-1]); string(got) != want {
			t.Fatalf("Unescape(%s) = %q, encoding/json %q", body, got, want)
		}
	})
}
