package sim

import (
	"testing"
	"unsafe"
)

// TestFirstChecksPremise: the device checker's record of 404 answers
// (checked404) is encoded as each device ID's earliest answer
// (canon.firstChecks), which assumes that nothing reads it but
// checkedBefore, an "at or before" question answered by the earliest
// answer alone, and that nothing else writes it but observeHS (appends)
// and reset. The scan fails on any other function using the field.
func TestFirstChecksPremise(t *testing.T) {
	allowed := []string{"reset", "observeHS", "checkedBefore"}
	uses := scanFieldUses(t, []string{"checked404"}, allowed,
		"the fingerprint encodes it as each ID's earliest answer (canon.firstChecks), which assumes only checkedBefore reads it")
	if uses < 3 {
		t.Errorf("found %d uses of checked404: the scan no longer sees them", uses)
	}
}

// TestFirstChecksEncoding: two records with the same earliest answer for
// each device ID (in any order, with later answers or not) encode alike
// and answer checkedBefore alike at every time; a record whose earliest
// answer for an ID differs encodes otherwise; the exact plans encode
// every answer.
func TestFirstChecksEncoding(t *testing.T) {
	encode := func(ps *plans, ds []deviceAt) string {
		c := &canon{ps: ps}
		c.reset()
		c.enc(unsafe.Pointer(&ds), ps.of(deviceAtsType))
		return string(c.buf)
	}
	a := []deviceAt{{"DEV1", 500}, {"DEV2", 900}, {"DEV1", 700}}
	b := []deviceAt{{"DEV2", 900}, {"DEV1", 500}}
	other := []deviceAt{{"DEV1", 700}, {"DEV2", 900}}
	red, exact := &plans{}, &plans{exact: true}
	if encode(red, a) != encode(red, b) {
		t.Error("records with the same earliest answers encode differently")
	}
	if encode(red, a) == encode(red, other) {
		t.Error("records with different earliest answers encode alike")
	}
	if encode(exact, a) == encode(exact, b) {
		t.Error("the exact plans encode the record by its earliest answers")
	}
	ca, cb := deviceChecker{checked404: a}, deviceChecker{checked404: b}
	for _, id := range []string{"DEV1", "DEV2", "DEV3"} {
		for at := Millis(0); at <= 1000; at += 50 {
			if ca.checkedBefore(id, at) != cb.checkedBefore(id, at) {
				t.Errorf("checkedBefore(%s, %d) differs between records that encode alike", id, at)
			}
		}
	}
}
