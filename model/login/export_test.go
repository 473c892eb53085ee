package login

import (
	"fmt"

	"qrlab/model/homeserver"
	"qrlab/model/msg"
)

// ForgePut seals plaintext with m's own channel (m is a *NewDevice or an
// *ExistingDevice whose channel is up), conditioned on its current token,
// and PUTs it at once, outside the state machine, whose request in flight
// is then forgotten. It returns the effects (the PUT). The tests hand it to
// logintest.Forgery, which cannot reach inside a machine.
func ForgePut(m any, now Millis, plaintext string) ([]Effect, error) {
	var c *core
	switch d := m.(type) {
	case *NewDevice:
		c = &d.core
	case *ExistingDevice:
		c = &d.core
	default:
		return nil, fmt.Errorf("ForgePut: %T is not a login machine", m)
	}
	if c.ch == nil {
		return nil, fmt.Errorf("ForgePut: the channel is not up")
	}
	c.begin(now)
	payload, err := c.ch.Seal([]byte(plaintext), c.aad(c.token))
	if err != nil {
		return nil, err
	}
	c.put(payload)
	return c.fx, nil
}

// SignProofWith makes n sign its proof of possession with a key drawn from
// seed instead of its device key: a peer that holds no private key for the
// device ID it claims (the device ID confusion of MSC4108 5706fd4).
func SignProofWith(n *NewDevice, seed byte) {
	s := make([]byte, 32)
	for i := range s {
		s[i] = seed
	}
	k, err := homeserver.SigningKeyFromSeed(s)
	if err != nil {
		panic(err) // a 32-byte seed: programmer error
	}
	n.proofKey = k
}

// ProofPlaintext is the io.qrlab.login.proof_of_possession n would send
// for deviceID, signed by key instead of its device key: what a peer that
// claims another device's ID can make over its own channel.
func ProofPlaintext(n *NewDevice, deviceID string, key *homeserver.SigningKey) string {
	p := msg.ProofOfPossession{DeviceID: deviceID}
	copy(p.Signature[:], key.Sign(n.proofBinding(deviceID)))
	b, err := msg.Encode(p)
	if err != nil {
		panic(err) // a valid message: programmer error
	}
	return string(b)
}
