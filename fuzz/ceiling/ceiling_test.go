// Package ceiling holds FuzzEmpty, a fuzz target that does nothing, in a
// package that imports nothing: its exec/s is the ceiling of go test -fuzz
// on the machine, which every other target is measured against. go test
// -fuzz's fixed cost per execution grows with the instrumented binary (it
// scans every coverage counter after each run), so the ceiling lives apart
// from the simulator-sized binary of package fuzz.
package ceiling

import "testing"

// FuzzEmpty does nothing with its input.
func FuzzEmpty(f *testing.F) {
	for _, n := range []int{0, 1, 8, 64, 512} {
		f.Add(make([]byte, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {})
}
