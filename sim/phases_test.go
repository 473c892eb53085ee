package sim

import (
	"testing"

	"qrlab/model/variant"
)

// TestPhases checks that a successful login's phases are all reached, in
// order (the consent and the agreement either way round), that the token and secrets phases are the times the result
// already states, and that the request kinds add up to the requests sent.
func TestPhases(t *testing.T) {
	for _, name := range []string{"msc4388-726e115", "msc4108-2024"} {
		n, err := Profile("lan")
		if err != nil {
			t.Fatal(err)
		}
		r := mustRunner(t, Config{Variant: variant.MustLoad(name), Network: n})
		for seed := uint64(1); seed <= 3; seed++ {
			res, err := r.Run(seed)
			if err != nil || !res.Success() || res.Phases == nil || res.RequestKinds == nil {
				t.Fatalf("%s seed %d: %v, success %v, phases %v", name, seed, err, res.Success(), res.Phases)
			}
			p := res.Phases
			// The consent may come before the protocol is agreed (the 2024
			// generation acknowledges the protocol after the browser step).
			ordered := p.Scan >= 0 && p.Scan <= p.ChannelUp && p.ChannelUp <= p.Agreed && p.ChannelUp <= p.Consent &&
				max(p.Agreed, p.Consent) <= p.Token && p.Token <= p.Secrets && p.Secrets <= p.Keys
			if !ordered {
				t.Errorf("%s seed %d: phases %+v not all reached in order", name, seed, *p)
			}
			if p.Token != res.SignedInMillis || p.Secrets != res.SecretsMillis {
				t.Errorf("%s seed %d: token %d secrets %d, result says %d and %d", name, seed, p.Token, p.Secrets, res.SignedInMillis, res.SecretsMillis)
			}
			k := res.RequestKinds
			if sum := k.Polls + k.Writes + k.Retries + k.TokenPolls + k.Other; sum != res.Requests || k.Polls == 0 || k.Writes == 0 || k.TokenPolls == 0 {
				t.Errorf("%s seed %d: kinds %+v sum to %d, requests %d", name, seed, *k, sum, res.Requests)
			}
		}
	}
}

// TestRequestRetries checks that a request sent again after a timeout or
// a 5xx counts as a retry, and after a success as its own kind.
func TestRequestRetries(t *testing.T) {
	var o observer
	o.reset()
	put := "PUT /_matrix/client/v1/rendezvous/x"
	for _, e := range []Event{
		{Kind: EvSend, Actor: ActorNew, Name: put},
		{Kind: EvRecv, Actor: ActorNew, Name: put, Detail: "timeout"},
		{Kind: EvSend, Actor: ActorNew, Name: put},
		{Kind: EvRecv, Actor: ActorNew, Name: put, Status: 502},
		{Kind: EvSend, Actor: ActorNew, Name: put},
		{Kind: EvRecv, Actor: ActorNew, Name: put, Status: 200},
		{Kind: EvSend, Actor: ActorNew, Name: put},
		{Kind: EvSend, Actor: ActorAttacker, Name: put},
	} {
		o.see(&e)
	}
	if want := (RequestKinds{Writes: 2, Retries: 2}); o.kinds != want {
		t.Errorf("kinds %+v, want %+v", o.kinds, want)
	}
}
