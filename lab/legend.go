package lab

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"qrlab/model/login"
	"qrlab/sim"
)

// endingMeanings say what the endings of a run's pair of devices mean.
var endingMeanings = map[string]string{
	"both-success":  "both devices finished: the new device is signed in and has the secrets",
	"both-failure":  "both devices ended with a failure (they agree the login failed)",
	"new-only":      "the new device signed in, the existing device did not finish its side",
	"existing-only": "the existing device sent the secrets, the new device failed: the secrets went to a device that gave up",
	"unfinished":    "a device had not ended when the run stopped",
}

// reasonMeanings say, in a line, why a login ended (model/login's Reason).
var reasonMeanings = map[login.Reason]string{
	login.ReasonDeclined:                 "the user refused consent",
	login.ReasonTimeout:                  "a request got no answer after every retry",
	login.ReasonRendezvousExpired:        "the rendezvous session was gone (404): it expired or was deleted",
	login.ReasonChannelIntegrity:         "a payload did not open (tampered, replayed, out of step, wrong key or AAD)",
	login.ReasonCheckCodeMismatch:        "the user typed another check code",
	login.ReasonWriteConflict:            "a PUT was refused as stale (usually: its answer was lost and the retry found the peer's reply) and the design aborts",
	login.ReasonHTTPError:                "a server answered with a status or body the flow cannot use",
	login.ReasonInvalidQR:                "the scanned payload did not decode or had the wrong intent",
	login.ReasonDiscoveryFailed:          "no usable authorization server metadata",
	login.ReasonKeyUploadFailed:          "keys/upload was refused",
	login.ReasonWhoamiMismatch:           "whoami named another device or account than expected",
	login.ReasonRendezvousUnavailable:    "the server would not let this device create a rendezvous session",
	login.ReasonInternal:                 "a local operation failed (a bug or a broken environment)",
	login.ReasonUserCancelled:            "the user cancelled",
	login.ReasonAuthorizationExpired:     "the device authorization grant expired before consent",
	login.ReasonDeviceAlreadyExists:      "the existing device found the new device's ID already in use",
	login.ReasonDeviceNotFound:           "the existing device did not see the new device appear in time",
	login.ReasonUnexpectedMessage:        "a device got a message it could not decode or did not expect",
	login.ReasonUnsupportedProtocol:      "the devices share no login protocol",
	login.ReasonUnableToOpenVerification: "the existing device could not open the verification URI",
	"unfinished":                         "the login had not ended when the run stopped",
}

// writeLegend explains the labels the totals printed, and says how to read
// the success figure.
func (t *Totals) writeLegend(w io.Writer, cfg sim.Config) {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(t.Agreement)) {
		if m, ok := endingMeanings[k]; ok {
			lines = append(lines, fmt.Sprintf("  %-32s %s", k, m))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Reasons)) {
		if m, ok := reasonMeanings[login.Reason(k)]; ok {
			lines = append(lines, fmt.Sprintf("  %-32s %s", k, m))
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "legend (per run: N the new device, E the existing one):\n%s\n", strings.Join(lines, "\n"))
	}
	fmt.Fprintln(w, t.verdict(cfg))
}

// verdict says how to read the success figure.
func (t *Totals) verdict(cfg sim.Config) string {
	rate := 100 * float64(t.Success) / float64(max(t.Runs, 1))
	switch {
	case t.Violations > 0:
		return fmt.Sprintf("verdict: an invariant was violated: a bug or a broken design, whatever the %.1f%% (details on stderr)", rate)
	case t.Success == t.Runs:
		return "verdict: every login succeeded and no invariant broke"
	}
	return fmt.Sprintf("verdict: no invariant broke; %d logins ended without success, for the reasons above (the network %s lost %d %s).\n"+
		"  %.1f%% is this design's rate on this network, not a pass mark: compare designs on the same seeds\n"+
		"  (simrun sweep generations), or the same design without loss (--network lan)",
		t.Runs-t.Success, cfg.Network.Name, t.Lost, lostWhat(cfg), rate)
}

// lostWhat is what the transport loses: whole messages, or packets (SYNs
// and segments) that TCP resends.
func lostWhat(cfg sim.Config) string {
	if cfg.TransportKind() == sim.TransportTCP {
		return "packets"
	}
	return "messages"
}
