// Package layers holds the test that keeps the lab's layers apart: which
// qrlab package may import which, and which parts must stay pure (no
// goroutines, wall clock, global randomness or I/O). ARCHITECTURE.md at the
// module root states the same rules in prose.
package layers
