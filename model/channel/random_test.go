package channel

import (
	"bytes"
	"errors"
	"testing"

	"qrlab/internal/seeded"
	"qrlab/model/wire"
)

// TestDryStreamIsErrRandom checks that every draw from the caller's random
// stream that comes up short is reported as wire.ErrRandom, whichever step
// of the handshake drew: G's and S's key pairs and G's HPKE response nonce.
func TestDryStreamIsErrRandom(t *testing.T) {
	dry := func(n int) *bytes.Reader { return bytes.NewReader(make([]byte, n)) }
	if _, err := GenerateKey(dry(0)); !errors.Is(err, wire.ErrRandom) {
		t.Errorf("GenerateKey: %v", err)
	}
	for _, c := range Constructions() {
		cfg := DefaultConfig(c)
		if _, err := NewGenerator(cfg, dry(KeySize-1)); !errors.Is(err, wire.ErrRandom) {
			t.Errorf("%s: NewGenerator: %v", c, err)
		}
		if _, err := NewScanner(cfg, dry(0)); !errors.Is(err, wire.ErrRandom) {
			t.Errorf("%s: NewScanner: %v", c, err)
		}
		gen, err := NewGenerator(cfg, seeded.Stream(1))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, dry(0)); !errors.Is(err, wire.ErrRandom) {
			t.Errorf("%s: Initiate: %v", c, err)
		}
		if !c.IsHPKE() {
			continue
		}
		_, initiate, err := Initiate(cfg, gen.PublicKey(), []byte(LoginInitiate), nil, seeded.Stream(2))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := gen.Accept(initiate, nil, dry(0)); !errors.Is(err, wire.ErrRandom) {
			t.Errorf("%s: Accept: %v", c, err)
		}
	}
}
