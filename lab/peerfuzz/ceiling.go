package peerfuzz

import "time"

// ceilingLines are op lines of the sizes a fuzz run sends (a receive of a
// LoginInitiate-sized payload, a send, a check code), for measuring a
// peer's round trips alone.
var ceilingLines = [][]byte{
	[]byte(`{"op":"receive","session":"c.0","payload":"u6SFxT2VqWGVJwZMzYjIkBKR8RkW+vJMD5YDrGwpD61NX4NMDXUOJn02XE+k|lmBzLubiGQ4nKpPMwFbM0ticVN7glRHFeKJgMpoTjgA"}`),
	[]byte(`{"op":"send","session":"c.0","plaintext":"MATRIX_QR_CODE_LOGIN_OK"}`),
	[]byte(`{"op":"check_code","session":"c.0"}`),
}

// Ceiling sends representative op lines to conn for budget, comparing
// nothing, and returns how many answers came back: with an echo-only peer
// it is the most a differential run through the same process boundary can
// reach.
func Ceiling(conn Conn, budget time.Duration, now func() time.Time) (int, time.Duration, error) {
	start := now()
	n := 0
	for now().Sub(start) < budget {
		for _, l := range ceilingLines {
			if _, err := conn.Do(l); err != nil {
				return n, now().Sub(start), err
			}
			n++
		}
	}
	return n, now().Sub(start), nil
}
