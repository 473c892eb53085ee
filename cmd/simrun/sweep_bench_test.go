package main

import (
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSweep is simrun sweep of the default scenario (msc4388 on 4g)
// with b.N runs on every core, records streamed to disk, no report:
// the figure that says how long a million logins take (go test
// ./cmd/simrun -run XXX -bench Sweep -benchtime 1000000x).
func BenchmarkSweep(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "out")
	var ms runtime.MemStats
	start := time.Now()
	code, out, errs := func() (int, string, string) {
		return dispatchBench(b, "sweep", "default", "--runs", strconv.Itoa(b.N), "--out", dir, "--no-report", "--quiet")
	}()
	el := time.Since(start)
	if code != 0 {
		b.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N)/el.Seconds(), "runs/s")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
}

func dispatchBench(b *testing.B, args ...string) (int, string, string) {
	b.Helper()
	var out, errb bytesBuffer
	code := dispatch(args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bytesBuffer) String() string              { return string(w.b) }
