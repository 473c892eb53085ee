package qr_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// corpusDir is FuzzQRDecode's seed corpus. The target lives in the lean
// package fuzz/decode/qr (see its doc); its generated seeds are made here,
// from this package's test vectors.
var corpusDir = filepath.Join("..", "..", "fuzz", "decode", "qr", "testdata", "fuzz", "FuzzQRDecode")

var updateCorpus = flag.Bool("update", false, "rewrite the generated seeds of FuzzQRDecode (fuzz/decode/qr)")

// seeds are the generated part of the seed corpus: every vector, and
// malformed payloads of every error kind. Files the fuzzer adds (crashers
// once fixed) sit beside them under their hash names.
func seeds() map[string][]byte {
	s := map[string][]byte{}
	for _, v := range vectors {
		name := strings.Join(strings.FieldsFunc(strings.ToLower(v.name), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}), "-")
		s["vector-"+name] = v.bytes
		s["cut-"+name] = v.bytes[:len(v.bytes)-1]
		s["trailing-"+name] = append(bytes.Clone(v.bytes), 0)
	}
	s["bad-empty"] = nil
	s["bad-prefix"] = unhex(`"MATRIY" 02 03` + keyHex + `0001 "u"`)
	s["bad-type"] = unhex(`"MATRIX" 05 03` + keyHex + `0001 "u"`)
	s["bad-intent"] = unhex(`"MATRIX" 02 09` + keyHex + `0001 "u"`)
	s["bad-key"] = unhex(`"MATRIX" 03 00 abab`)
	s["bad-utf8"] = unhex(`"MATRIX" 02 03` + keyHex + `0002 c328`)
	s["bad-no-server-name"] = unhex(`"MATRIX" 02 04` + keyHex + `0001 "u"`)
	s["bad-id"] = unhex(`"MATRIX" 03 00` + keyHex + `02 "a/" 0001 "u"`)
	s["bad-long-id"] = unhex(`"MATRIX" 03 00` + keyHex + `012c "` + strings.Repeat("a", 300) + `" 0001 "x"`)
	s["bad-msc4108-prefix-u8"] = unhex(`"IO_ELEMENT_MSC4108" 03 00` + keyHex + `01 "a" 0001 "u"`)
	s["ambiguous-u16-wins"] = unhex(`"MATRIX" 03 01` + keyHex + `0001 "a" 015f "` + strings.Repeat("u", 351) + `"`)
	s["ambiguous-u8-wins"] = unhex(`"MATRIX" 03 01` + keyHex + `01 "a" 0162 "` + strings.Repeat("u", 351) + `" 0001 "x"`)
	s["bytes8-u16-base-url"] = unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 0020 "` + specBase + `"`)
	s["bytes8-u8-base-url"] = unhex(`"MATRIX" 03 00` + keyHex + `24 "` + specID + `" 20 "` + specBase + `"`)
	s["bytes8-prefix-of-u16"] = unhex(`"MATRIX" 03 01` + keyHex + `01 "a" 0168 "https://` + strings.Repeat("x", 352) + `"`)
	s["bytes8-prefix-cut"] = unhex(`"MATRIX" 03 01` + keyHex + `01 "a" 0168`)
	s["bad-bytes8-empty-base-url"] = unhex(`"MATRIX" 03 00` + keyHex + `01 "a" 00`)
	s["bad-bytes8-base-url-utf8"] = unhex(`"MATRIX" 03 00` + keyHex + `01 "a" 02 "h" c0`)
	return s
}

func corpusFile(b []byte) string {
	return "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
}

// TestFuzzCorpus keeps FuzzQRDecode's generated seeds in step with the
// vectors; run with -update to rewrite them.
func TestFuzzCorpus(t *testing.T) {
	dir := corpusDir
	for name, b := range seeds() {
		path := filepath.Join(dir, name)
		want := corpusFile(b)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is missing or stale; run go test ./model/qr -run TestFuzzCorpus -update", path)
		}
	}
}
