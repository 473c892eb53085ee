package lab

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompatIdentical checks that a client paired with itself logs in
// every time on a lossless network, under both intents.
func TestCompatIdentical(t *testing.T) {
	for _, p := range []string{"msc4388-726e115", "rust-sdk-main"} {
		m, err := Compat(CompatOptions{Presets: []string{p}, Intents: []string{"login", "reciprocate"}, Network: "lan", Runs: 8, Seed: 1, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Cells) != 2 {
			t.Fatalf("%s: %d cells, want 2 (one per intent)", p, len(m.Cells))
		}
		for _, c := range m.Cells {
			if c.Successes != c.Runs || c.Runs != 8 || c.Failures != 0 || c.Hi != 1 {
				t.Errorf("%s × %s (%s): %d/%d successes, %d failures, interval [%g, %g]; want 8/8", c.New, c.Existing, c.Intent, c.Successes, c.Runs, c.Failures, c.Lo, c.Hi)
			}
		}
	}
}

// TestCompatRootCause checks that a 2024-stack new device against a
// 2026-stack existing device (and its servers) fails in every run, and
// that its cell carries the real cause: the new device's create request
// to the 2024 unstable path answered 404, not the rendezvous_expired it
// reports, with the existing device's own ending beside it.
func TestCompatRootCause(t *testing.T) {
	m, err := Compat(CompatOptions{Presets: []string{"msc4108-2024", "msc4388-726e115"}, Intents: []string{"login"}, Network: "lan", Runs: 6, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cell("login", "msc4108-2024", "msc4388-726e115")
	if c == nil {
		t.Fatal("no cell msc4108-2024 × msc4388-726e115")
	}
	want := "HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)"
	if c.Successes != 0 || c.Dominant != 6 || c.RootCause != want || c.NewReason != "rendezvous_expired" || c.ExistingReason != "user_cancelled" {
		t.Errorf("cell %+v: want 0/6 successes, all failing with root cause %q, N rendezvous_expired, E user_cancelled", *c, want)
	}
	for _, p := range []string{"msc4108-2024", "msc4388-726e115"} {
		if d := m.Cell("login", p, p); d == nil || d.Successes != d.Runs {
			t.Errorf("%s with itself: %+v, want every run a success", p, d)
		}
	}
	var b bytes.Buffer
	m.WriteMarkdown(&b)
	if !strings.Contains(b.String(), "| "+want+" | rendezvous_expired | user_cancelled | msc4108-2024 × msc4388-726e115") {
		t.Errorf("the Markdown does not list the cell under its root cause:\n%s", b.String())
	}
}

// TestCompatOutput checks that the Markdown does not depend on the number
// of workers, and that the heatmaps are written as PNG and SVG.
func TestCompatOutput(t *testing.T) {
	o := CompatOptions{Presets: []string{"msc4108-2024", "msc4388-726e115"}, Intents: []string{"login", "reciprocate"}, Network: "lan", Runs: 3, Seed: 7}
	var md [2]bytes.Buffer
	var m *CompatMatrix
	for i, w := range []int{1, 2} {
		o.Workers = w
		var err error
		if m, err = Compat(o); err != nil {
			t.Fatal(err)
		}
		m.WriteMarkdown(&md[i])
	}
	if md[0].String() != md[1].String() {
		t.Errorf("the Markdown differs between 1 and 2 workers:\n%s\n---\n%s", md[0].String(), md[1].String())
	}
	for _, s := range []string{"### Intent login", "### Intent reciprocate", "| **msc4108-2024** | 100% [44–100] | 0% [0–56] |"} {
		if !strings.Contains(md[0].String(), s) {
			t.Errorf("the Markdown lacks %q:\n%s", s, md[0].String())
		}
	}
	dir := t.TempDir()
	if err := m.WritePlots(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"compat.png", "compat.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v (want a picture of some size)", f, err)
		}
	}
}

// TestCompatHTML checks the matrix's page: the answer per intent before
// the first figure, one inline SVG heatmap per intent, nothing to fetch,
// and the same matrix giving the same bytes.
func TestCompatHTML(t *testing.T) {
	o := CompatOptions{Presets: []string{"msc4108-2024", "rust-sdk-main", "msc4388-726e115"}, Intents: []string{"login", "reciprocate"}, Network: "lan", Runs: 3, Seed: 7, Workers: 2}
	m, err := Compat(o)
	if err != nil {
		t.Fatal(err)
	}
	var pages [2][]byte
	for i := range pages {
		dir := t.TempDir()
		if err := m.WriteHTML(dir); err != nil {
			t.Fatal(err)
		}
		if pages[i], err = os.ReadFile(filepath.Join(dir, "compat.html")); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("the same matrix gave two different pages")
	}
	page := string(pages[0])
	first := strings.Index(page, "<figure")
	for _, s := range []string{"<strong>Intent login</strong>: ", "<strong>Intent reciprocate</strong>: ", "msc4108-2024 × rust-sdk-main 100% [44–100]"} {
		if i := strings.Index(page, s); i < 0 || i > first {
			t.Errorf("the page lacks %q before its first figure", s)
		}
	}
	if n := strings.Count(page, "<svg role=\"img\""); n != 2 {
		t.Errorf("%d inline drawings, want one heatmap per intent", n)
	}
	for _, s := range []string{"<script", "<img", "<link", "src=", `href="http`, "url("} {
		if strings.Contains(page, s) {
			t.Errorf("the page holds %q: it must need nothing from elsewhere", s)
		}
	}
}

// TestCompatBadOptions checks that bad options are refused with an error
// naming what is wrong.
func TestCompatBadOptions(t *testing.T) {
	good := CompatOptions{Presets: []string{"msc4108-2024"}, Intents: []string{"login"}, Network: "lan", Runs: 1, Seed: 1}
	for _, tc := range []struct {
		edit func(*CompatOptions)
		want string
	}{
		{func(o *CompatOptions) { o.Runs = 0 }, "runs per cell is 0"},
		{func(o *CompatOptions) { o.Presets = nil }, "no presets"},
		{func(o *CompatOptions) { o.Intents = []string{"sideways"} }, `intent "sideways"`},
		{func(o *CompatOptions) { o.Network = "carrier-pigeon" }, `network "carrier-pigeon"`},
		{func(o *CompatOptions) { o.Presets = []string{"no-such-client"} }, `preset "no-such-client"`},
	} {
		o := good
		tc.edit(&o)
		_, err := Compat(o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error containing %q", err, tc.want)
			continue
		}
		if !strings.Contains(tc.want, "runs") && !errors.Is(err, ErrCompat) {
			t.Errorf("%v does not wrap ErrCompat", err)
		}
	}
}

// TestCompatDecodeCause checks that a cell whose devices fail on what the
// peer sent, with no HTTP error before, names that failure as its root
// cause: the Rust SDK's new device cannot read matrix-js-sdk's
// m.login.protocols (the homeserver as a server name, not a URL), and the
// later 404 of the existing device's poll is not the cause.
func TestCompatDecodeCause(t *testing.T) {
	m, err := Compat(CompatOptions{Presets: []string{"rust-sdk-main", "js-sdk-develop"}, Intents: []string{"login"}, Network: "lan", Runs: 3, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cell("login", "rust-sdk-main", "js-sdk-develop")
	want := `unexpected_message_received: m.login.protocols: homeserver "lab.example" is not a URL (N)`
	if c == nil || c.Successes != 0 || c.RootCause != want || c.NewReason != "unexpected_message_received" {
		t.Errorf("cell %+v: want every run failing with root cause %q", c, want)
	}
	if d := m.Cell("login", "js-sdk-develop", "rust-sdk-main"); d == nil || d.Successes != d.Runs {
		t.Errorf("js-sdk-develop × rust-sdk-main: %+v, want every run a success (the other way round works)", d)
	}
}

// TestCompatServer checks that --server puts another homeserver and
// provider under every cell: the 2026 client logs in against MAS too, the
// Markdown says whose servers ran, and an unknown server preset is refused.
func TestCompatServer(t *testing.T) {
	o := CompatOptions{Presets: []string{"msc4388-726e115"}, Intents: []string{"login"}, Network: "lan", Runs: 4, Seed: 1, Server: "msc4388-mas"}
	m, err := Compat(o)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Cells[0]; c.Successes != c.Runs {
		t.Errorf("msc4388-726e115 against msc4388-mas's servers: %+v, want every run a success", c)
	}
	var b bytes.Buffer
	m.WriteMarkdown(&b)
	if !strings.Contains(b.String(), "the homeserver and provider are msc4388-mas's") {
		t.Errorf("the Markdown does not name the servers:\n%s", b.String())
	}
	o.Server = "no-such-server"
	if _, err := Compat(o); err == nil || !strings.Contains(err.Error(), `server preset "no-such-server"`) {
		t.Errorf("unknown server: %v", err)
	}
}
