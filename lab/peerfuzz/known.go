package peerfuzz

import "qrlab/model/channel"

// Known is a departure of a real implementation from the model that is
// understood: where it comes from and why it is not a new finding.
type Known struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Why    string `json:"why"`
}

// knownRule matches a minimised disagreement: the steps up to and
// including the one that disagreed (o.at).
type knownRule struct {
	Known
	construction channel.Construction
	match        func(steps []Step, o outcome) bool
}

// knownRules is the table of known departures. Each was found by running
// simrun fuzz-peer against the adapter in lab/interop/testdata/interop
// (the pinned wasm package) and explained by reading the source named. It is
// empty: the departures found so far are fixed in the model (fixedInModel).
var knownRules []knownRule

// Fixed is a departure that was known and no longer occurs, because the
// model's construction now behaves as the implementation does.
type Fixed struct {
	Known
	// Commit is the qrlab commit that made the model follow the
	// implementation.
	Commit string
}

// fixedInModel records the departures the model was changed to follow, so
// that a class name seen in an old reproducer can be looked up. Both were
// found against the wasm package 18.9.0 with --construction ecies-vodozemac;
// after the commits named, fuzz-peer with the same seed finds no
// disagreement.
var fixedInModel = []Fixed{
	{
		Known: Known{
			Name: "vodozemac-strict-base64",
			Source: "vodozemac src/utilities/mod.rs (STANDARD_NO_PAD with DecodePaddingMode::Indifferent) and " +
				"src/ecies/messages.rs (decode before decrypt; Message::decode likewise), commit cfc4eeebdf0953314144a6b709449b0434019ca2",
			Why: "vodozemac refuses a payload with more '=' than its last group lacks or with CR/LF inside " +
				"before it decrypts, so it spends no nonce on it; the model read such a payload as base64. " +
				"ecies-vodozemac and hpke-vodozemac now use package frame's vodozemac reading of base64 " +
				"(the spec constructions keep the lenient one)",
		},
		Commit: "5d168b0",
	},
	{
		Known: Known{
			Name: "vodozemac-short-initiate-spends-key",
			Source: "vodozemac src/ecies/mod.rs Ecies::establish_inbound_channel (takes self; decrypts with " +
				"no length check), commit cfc4eeebdf0953314144a6b709449b0434019ca2",
			Why: "a LoginInitiate whose ciphertext is shorter than the 16-byte tag reaches decryption in " +
				"vodozemac and uses the generator's key up; the model refused it as malformed and kept the key. " +
				"ecies-vodozemac and hpke-vodozemac now spend the key on it too (channel.Generator.Accept)",
		},
		Commit: "4d6a9bb",
	},
}

// Classify returns the known departure a minimised disagreement is, or nil
// for a new finding.
func Classify(c channel.Construction, steps []Step, o outcome) *Known {
	for _, r := range knownRules {
		if r.construction == c && r.match(steps, o) {
			k := r.Known
			return &k
		}
	}
	return nil
}
