package variant_test

import (
	"testing"

	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// TestTrailingSlashHazard shows the binding hazard the Rust SDK's PR #6173
// has: the QR code carries a root base URL without its trailing slash, the
// PR binds the URL's string form with it. Two devices that bind the same
// way sign in; a device binding the QR's string and one binding the URL's
// string form cannot open each other's LoginInitiate, in either intent.
func TestTrailingSlashHazard(t *testing.T) {
	text := variant.MustLoad("msc4388-726e115")
	slash := text
	slash.Name = "msc4388-726e115+root-slash"
	slash.Channel.AADRootSlash = true
	net, err := sim.Profile("lan")
	if err != nil {
		t.Fatal(err)
	}
	run := func(existing, newDev variant.Variant, intent qr.Intent) sim.Result {
		t.Helper()
		r, err := sim.NewRunner(sim.Config{Variant: existing, NewVariant: &newDev, Intent: intent, Network: net, User: sim.DefaultUser()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Run(1)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, intent := range []qr.Intent{qr.Login, qr.Reciprocate} {
		for _, same := range []variant.Variant{text, slash} {
			if res := run(same, same, intent); res.New.Outcome != "success" || res.Existing.Outcome != "success" {
				t.Errorf("%s with itself, %s: new %s/%s, existing %s/%s", same.Name, intent,
					res.New.Outcome, res.New.Reason, res.Existing.Outcome, res.Existing.Reason)
			}
		}
		for _, pair := range [][2]variant.Variant{{text, slash}, {slash, text}} {
			res := run(pair[0], pair[1], intent)
			if res.New.Outcome == "success" || res.Existing.Outcome == "success" {
				t.Errorf("existing %s, new %s, %s: signed in although the AADs differ", pair[0].Name, pair[1].Name, intent)
			}
			if res.Violation != nil {
				t.Errorf("existing %s, new %s, %s: violation %s", pair[0].Name, pair[1].Name, intent, res.Violation.Invariant)
			}
			t.Logf("existing %s, new %s, %s: new %s/%s, existing %s/%s", pair[0].Name, pair[1].Name, intent,
				res.New.Outcome, res.New.Reason, res.Existing.Outcome, res.Existing.Reason)
		}
	}
}
