package login

import "qrlab/model/channel"

// ChannelKeys returns this device's public key on the secure channel and the
// peer's, once the handshake finished on this side (ok false before). A
// simulator's monitors use them to tell which device a message can reach:
// secrets sealed on a channel whose peer key is not the real new device's
// went to someone else.
func (c *core) ChannelKeys() (own, peer channel.PublicKey, ok bool) {
	if c.ch == nil {
		return own, peer, false
	}
	return c.ch.PublicKey(), c.ch.PeerKey(), true
}

// ChannelCounters returns how many messages this device sealed and opened on
// the secure channel (0, 0 before the handshake).
func (c *core) ChannelCounters() (sealed, opened uint64) {
	if c.ch == nil {
		return 0, 0
	}
	return c.ch.Sealed(), c.ch.Opened()
}
