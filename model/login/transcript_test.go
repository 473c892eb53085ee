package login_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/model/qr"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/transcripts and the outputs of the scripts under testdata/scripts")

// TestTranscripts compares whole logins, both devices against real
// servers, with golden transcripts that read like the MSC's sequence
// diagrams: every request with its answer, every state change, every message
// sealed and opened (types only) and what each screen shows. Run with
// -update to rewrite them after an intended change, then read the diff.
func TestTranscripts(t *testing.T) {
	cases := []struct {
		file   string
		preset string
		intent qr.Intent
		u      user
		backup bool
	}{
		{"msc4108-2024-login", "msc4108-2024", qr.Login, user{}, false},
		{"msc4108-2024-reciprocate", "msc4108-2024", qr.Reciprocate, user{}, false},
		{"msc4388-login", "msc4388", qr.Login, user{}, false},
		{"msc4388-reciprocate", "msc4388", qr.Reciprocate, user{}, false},
		{"msc4388-declined", "msc4388", qr.Reciprocate, user{DenyConsent: true}, false},
		{"element-web-declined", "element-web", qr.Reciprocate, user{DenyConsent: true}, false},
		{"msc4388-wrong-code", "msc4388", qr.Login, user{TypeWrongCode: true}, false},
		{"msc4388-backup", "msc4388", qr.Reciprocate, user{}, true},
		{"msc4388-txn-login", "msc4388-txn", qr.Login, user{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			w := runPreset(t, tc.preset, tc.intent, worldOpts{Seed: 1, Backup: tc.backup}, tc.u)
			got := w.Log()
			path := filepath.Join("testdata", "transcripts", tc.file+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("transcript differs at line %d:\n got: %s\nwant: %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("transcript length differs: got %d lines, want %d", len(gl), len(wl))
			}
		})
	}
}
