package fuzz

import (
	"encoding/json"
	"reflect"
	"testing"

	fuzz "github.com/google/gofuzz"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/scenarios"
	"qrlab/sim"
)

// knobFuzzer is a gofuzz generator of variant knob groups: each group's
// fields take values from their valid sets (timing within bounds a login
// can live with), so mixes are well typed and mostly valid.
func knobFuzzer(data []byte) *fuzz.Fuzzer {
	one := func(c fuzz.Continue, vals ...string) string { return vals[c.Intn(len(vals))] }
	ms := func(c fuzz.Continue, lo, hi int) int64 { return int64(lo + c.Intn(hi-lo+1)) }
	return fuzz.NewFromGoFuzz(data).Funcs(
		func(k *variant.RendezvousKnobs, c fuzz.Continue) {
			k.Preset = one(c, rendezvous.PresetNames()...)
			k.TTLMillis = 0
			if c.RandBool() {
				k.TTLMillis = ms(c, 30_000, 600_000)
			}
			k.MaxDataBytes = 0
			if c.Intn(4) == 0 {
				k.MaxDataBytes = int(ms(c, 256, 16_384))
			}
			k.Token = one(c, "", variant.TokenCounter, variant.TokenDigest, variant.TokenContentHash)
			k.PutTxnID, k.Discovery = c.RandBool(), c.RandBool()
		},
		func(k *variant.ChannelKnobs, c fuzz.Continue) {
			cs := channel.Constructions()
			k.Construction = string(cs[c.Intn(len(cs))])
			k.Digits = one(c, "", "00-99", "10-99")
			k.GeneratorNonceStart = uint64(c.Intn(2))
			k.CheckCodeKeys = one(c, variant.KeysRaw, variant.KeysBase64)
			k.RetryAccept, k.AADBinding = c.RandBool(), c.RandBool()
			k.AADLayout = one(c, variant.LayoutBaseURL16, variant.LayoutBaseURL8)
		},
		func(k *variant.QRKnobs, c fuzz.Continue) {
			fs := qr.Formats()
			k.Format = string(fs[c.Intn(len(fs))])
		},
		func(k *variant.MessageKnobs, c fuzz.Continue) {
			k.Generation = one(c, variant.Generation2024, variant.Generation2026)
			k.HomeserverField = ""
			if k.Generation == variant.Generation2024 {
				k.HomeserverField = one(c, variant.HomeserverServerName, variant.HomeserverURL)
			}
			k.StrictDecode = c.RandBool()
			k.HomeserverAccept = one(c, variant.AcceptAny, variant.AcceptURL)
		},
		func(k *variant.FlowKnobs, c fuzz.Continue) {
			k.Ack = one(c, variant.AckBeforeBrowser, variant.AckAfterBrowser, variant.AckAfterConfirm)
			k.UnableToOpenReason, k.Whoami = c.RandBool(), c.RandBool()
			k.ConfirmAccount = k.Whoami && c.RandBool()
			k.ProtocolsWaitForCheckCode = c.RandBool()
			k.WriteConflict = one(c, variant.ConflictAbort, variant.ConflictIgnore, variant.ConflictRetry)
			k.Denial = one(c, variant.DenialDeclined, variant.DenialUserCancelled)
			k.DeviceID = one(c, variant.DeviceIDCurve25519, variant.DeviceIDRandom)
			k.UnexpectedMessage = one(c, variant.UnexpectedSend, variant.UnexpectedNewDeviceOnly, variant.UnexpectedSilent)
			k.DeviceCheckError = one(c, variant.DeviceCheckHTTPError, variant.DeviceCheckAlreadyExists)
		},
		func(k *variant.TimingKnobs, c fuzz.Continue) {
			k.PollIntervalMillis = ms(c, 100, 10_000)
			k.PollBackoffMaxMillis = k.PollIntervalMillis * ms(c, 1, 4)
			k.PollBackoffFactor = 1 + float64(c.Intn(21))/10
			k.HTTPTimeoutMillis = ms(c, 1_000, 30_000)
			k.HTTPRetries = c.Intn(4)
			k.RetryBackoffMillis = ms(c, 100, 5_000)
			k.DevicePollIntervalMillis = ms(c, 100, 5_000)
			k.DevicePollTimeoutMillis = ms(c, 1_000, 60_000)
		},
		func(k *variant.OAuthKnobs, c fuzz.Continue) {
			k.Preset = one(c, oauth.PresetNames()...)
			k.SlowDown = one(c, variant.SlowDownObey, variant.SlowDownIgnore)
		},
		func(k *variant.HomeserverKnobs, c fuzz.Continue) {
			k.Preset = one(c, homeserver.PresetNames()...)
		},
	)
}

// knobGroups are the variant's knob groups by their JSON names, in the
// order scenarios applies "set" paths (sorted), with a way to draw each
// into a variant.
var knobGroups = []struct {
	name string
	draw func(f *fuzz.Fuzzer, v *variant.Variant) any
}{
	{"channel", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.Channel); return v.Channel }},
	{"flow", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.Flow); return v.Flow }},
	{"homeserver", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.Homeserver); return v.Homeserver }},
	{"messages", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.Messages); return v.Messages }},
	{"oauth", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.OAuth); return v.OAuth }},
	{"qr", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.QR); return v.QR }},
	{"rendezvous", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.Rendezvous); return v.Rendezvous }},
	{"timing", func(f *fuzz.Fuzzer, v *variant.Variant) any { f.Fuzz(&v.Timing); return v.Timing }},
}

// knobCase draws a variant mix and a run around it: a preset, then each
// knob group replaced by a gofuzz draw or kept. A group whose draw makes
// the variant invalid at the point scenarios applies it is kept, so the
// scenario's "set" (one whole group per path) always builds.
func knobCase(data []byte) (simCase, variant.Variant, error) {
	r := &input{b: data}
	names := variant.Names()
	base := names[r.pick(len(names))]
	mask := r.byte()
	flags := r.byte()
	profiles := sim.ProfileNames()
	profile := profiles[r.pick(len(profiles))]
	seed := uint64(r.u32())
	f := knobFuzzer(data[min(len(data), r.i):])
	v := variant.MustLoad(base)
	set := map[string]json.RawMessage{}
	for i, g := range knobGroups {
		if mask&(1<<i) == 0 {
			continue
		}
		trial := v
		val := g.draw(f, &trial)
		if trial.Validate() != nil {
			continue
		}
		raw, err := json.Marshal(val)
		if err != nil {
			return simCase{}, v, err
		}
		v = trial
		set["variant."+g.name] = raw
	}
	netw, _ := json.Marshal(profile)
	sc := scenarios.Scenario{Name: knobMixName, Variant: base, Intent: "login", Network: netw, Set: set,
		Backup: flags&2 != 0, Runs: 1, Seed: seed}
	if flags&1 != 0 {
		sc.Intent = "reciprocate"
	}
	if len(set) == 0 {
		sc.Set = nil
	}
	return simCase{sc: sc, seed: seed}, v, nil
}

// FuzzSimVariantKnobs runs one login of a gofuzz-mixed variant (knobCase)
// with an attentive user on a named network: no invariant may break, the
// seed must replay, and the scenario must carry exactly the mixed variant.
func FuzzSimVariantKnobs(f *testing.F) {
	for i := range 8 {
		f.Add([]byte{byte(i), byte(1 << i), byte(i & 3), 2, 0, 0, 0, byte(i), 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	}
	f.Add([]byte{presetIndex("msc4388-726e115"), 0xff, 0, 2, 0, 0, 1, 0, 0xaa, 0x55, 0xaa, 0x55, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, v, err := knobCase(data)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := c.sc.Config()
		if err != nil {
			t.Fatalf("the mix does not build: %v\n%s", err, c.file())
		}
		if !reflect.DeepEqual(cfg.Variant, v) {
			t.Fatalf("the scenario's variant differs from the mix:\n%+v\n%+v", cfg.Variant, v)
		}
		checkRun(t, c)
	})
}

// knobMixName names the scenario of a gofuzz-mixed variant.
const knobMixName = "fuzz-knobs"
