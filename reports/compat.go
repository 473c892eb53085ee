package reports

import "qrlab/sim"

// GenericCause is a root cause with its per-run identifiers blanked (a
// rendezvous session's id, a device id), so that runs with the same cause
// count together.
func GenericCause(s string) string { return genericPath(s) }

// EndingName names how one device ended: "success", its reason, else its
// outcome, else "did not finish".
func EndingName(e sim.Ending) string { return ending(e) }
