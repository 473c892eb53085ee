package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qrlab/reports"
	"qrlab/scenarios"
)

// sweepReport runs a built-in scenario with runs seeds per point into a
// temporary directory, writes its report and returns the report's
// Markdown and the records.
func sweepReport(t *testing.T, name string, runs int) (string, []reports.Record) {
	t.Helper()
	sc, err := scenarios.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Runs, sc.Seed = runs, 1
	dir := t.TempDir()
	if _, err := Sweep(sc, SweepOptions{Dir: dir, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := Report(dir, dir, nil); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []reports.Record
	if _, _, err := reports.ScanFile(filepath.Join(dir, "runs.jsonl"), func(r *reports.Record) error {
		recs = append(recs, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return string(md), recs
}

// TestReportMixedClients404 checks that the report of mixed-clients
// names what the traces show: every run fails because the new device's
// create POST on the rendezvous path gets a 404 (both devices then end
// with other reasons), in Failures by cause and as the commonest failure
// of Side by side, the table a reader sees first.
func TestReportMixedClients404(t *testing.T) {
	md, recs := sweepReport(t, "mixed-clients", 4)
	cause := "HTTP 404 to POST /_matrix/client/unstable/org.matrix.msc4108/rendezvous (N)"
	for _, r := range recs {
		if r.Success() || r.RootCause != cause {
			t.Fatalf("seed %d: success %v, root cause %q; this test expects every run to fail with %q", r.Seed, r.Success(), r.RootCause, cause)
		}
	}
	r := recs[0]
	row := fmt.Sprintf("| all runs | `%s` | `%s` | no | `%s` | 4 | 100.0%% |", reports.EndingName(r.New), reports.EndingName(r.Existing), cause)
	side := fmt.Sprintf("N `%s`, E `%s`: `%s` (4 of 4) |", reports.EndingName(r.New), reports.EndingName(r.Existing), cause)
	for _, want := range []string{row, side} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks\n%s\n%s", want, md)
		}
	}
}

// TestReportBeforeBrowserCause checks that under before-browser ack
// ordering a login lost because the browser could not open is reported
// as that injected cause, beside both devices' own endings (which are
// not the browser's: the new device meets a broken channel), and that
// the existing device's unable_to_open_verification_uri always goes with
// that cause.
func TestReportBeforeBrowserCause(t *testing.T) {
	md, recs := sweepReport(t, "ack-ordering", 30)
	const browser = "Browser cannot open the verification URI (E)"
	type key struct {
		point    int
		new, old string
	}
	counts := map[key]int{}
	labels := map[int]string{}
	for _, r := range recs {
		if r.Existing.Reason == "unable_to_open_verification_uri" && r.RootCause != browser {
			t.Errorf("point %d seed %d: the existing device could not open the browser, root cause %q", r.Point, r.Seed, r.RootCause)
		}
		var ack, variant string
		fmt.Sscanf(strings.Trim(string(r.Axes["variant.flow.ack"]), `"`), "%s", &ack)
		variant = strings.Trim(string(r.Axes["variant"]), `"`)
		if ack != "before-browser" || r.RootCause != browser {
			continue
		}
		labels[r.Point] = "variant=" + variant + ", flow.ack=before-browser"
		counts[key{r.Point, reports.EndingName(r.New), reports.EndingName(r.Existing)}]++
	}
	if len(counts) == 0 {
		t.Fatal("no before-browser run of 30 per point lost its browser; this test needs one")
	}
	for k, n := range counts {
		row := fmt.Sprintf("| %s | `%s` | `%s` | no | `%s` | %d |", labels[k.point], k.new, k.old, browser, n)
		if !strings.Contains(md, row) {
			t.Errorf("report.md lacks the row\n%s", row)
		}
	}
}
