package sim

import "testing"

// TestBudgetsOnlyGate guards the premise of the explorer's budget
// subsumption (lab/explore subsume.go, FingerprintBudgets): the fault
// budgets of a stepped run and what it spent of them are used by nothing
// but the gating of fault choices, the start of a stepped run, the
// fingerprint's encodings and Spent. It lists every use of the stepState
// fields in the package's sources (not its tests) and fails on one in any
// other function: a monitor, an ending or a checker that read them would
// make a state with more budget left no longer cover one with less.
func TestBudgetsOnlyGate(t *testing.T) {
	fields := []string{"lossMax", "dupMax", "lossUsed", "dupUsed", "resetMax", "resetUsed"}
	allowed := []string{
		"Enabled", "Take", "resets", "takeReset", // the gating
		"Start", "StartStepped", // setting the budgets
		"encodeRest", "FingerprintParts", "Spent", // the fingerprint and its measure
		"FaultSettled", // a measurement's choice of states, unused by the explorer
	}
	uses := scanFieldUses(t, fields, allowed, "budget subsumption assumes only the gating of fault choices reads the fault budget fields")
	if uses < 10 {
		t.Errorf("found %d uses of the budget fields: the scan no longer sees them", uses)
	}
}
