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
// (the pinned wasm package) and explained by reading the source named.
var knownRules = []knownRule{
	{
		Known: Known{
			Name: "vodozemac-strict-base64",
			Source: "vodozemac src/utilities/mod.rs (STANDARD_NO_PAD with DecodePaddingMode::Indifferent) and " +
				"src/ecies/messages.rs (decode before decrypt; Message::decode likewise), commit cfc4eeebdf0953314144a6b709449b0434019ca2; " +
				"model/channel/frame/frame.go (decoding accepts any trailing '=' and ignores CR and LF)",
			Why: "vodozemac refuses a payload with more '=' than canonical padding or with CR/LF inside " +
				"before it decrypts, so it spends no nonce on it; the model reads such a payload as base64, " +
				"and then accepts it when it is genuine or spends a nonce when it is not, so the receive " +
				"counters part and later payloads open on one side only",
		},
		construction: channel.ECIESVodozemac,
		match: func(steps []Step, o outcome) bool {
			for i, st := range steps[:min(o.at+1, len(steps), len(o.obs))] {
				if st.Kind == "deliver" && (st.Mut == "overpad" || st.Mut == "crlf") && o.obs[i][0].Outcome == "refuse" {
					return true
				}
			}
			return false
		},
	},
	{
		Known: Known{
			Name: "vodozemac-short-initiate-spends-key",
			Source: "vodozemac src/ecies/mod.rs Ecies::establish_inbound_channel (takes self; decrypts with " +
				"no length check), commit cfc4eeebdf0953314144a6b709449b0434019ca2; model/channel Generator.Accept " +
				"(a ciphertext shorter than the tag is malformed and uses nothing)",
			Why: "a LoginInitiate whose ciphertext is shorter than the 16-byte tag reaches decryption in " +
				"vodozemac and uses the generator's key up; the model refuses it as malformed and keeps the key, " +
				"so the genuine LoginInitiate that follows opens in the model only. The model's ecies-vodozemac " +
				"departs from vodozemac here",
		},
		construction: channel.ECIESVodozemac,
		match: func(steps []Step, o outcome) bool {
			initiates := map[int]bool{}
			for _, st := range steps {
				if st.Kind == "initiate" {
					initiates[st.ID] = true
				}
			}
			return o.peer.Outcome == "refuse" && o.model.Outcome == "accept" &&
				before(steps, o.at, func(st Step) bool {
					return st.Kind == "deliver" && initiates[st.From] && (st.Mut == "truncate" || st.Mut == "short")
				})
		},
	},
}

// before reports whether a step up to at (included) satisfies pred.
func before(steps []Step, at int, pred func(Step) bool) bool {
	for _, st := range steps[:min(at+1, len(steps))] {
		if pred(st) {
			return true
		}
	}
	return false
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
