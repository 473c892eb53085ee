package main

import (
	"fmt"
	"io"

	"qrlab/model/qr"
)

// demoQRPayload is an existing device's QR (intent reciprocate) in the 2026
// layout with the unstable prefix: the Rust SDK test vector the spec quotes.
const demoQRPayload = "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2"

// demoQR decodes an example QR payload and re-encodes it in the other
// layouts, to show how the generations differ on the wire.
func demoQR(w io.Writer) error {
	p, err := qr.DecodeString(demoQRPayload)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== QR payload ==\n%s\ndecodes as format %s, intent %s\n  key %s\n  rendezvous ID %s\n  base URL %s\n",
		demoQRPayload, p.Format, p.Intent, p.Key, p.RendezvousID, p.BaseURL)
	for _, f := range []qr.Format{qr.Format2026, qr.Format2026Bytes8, qr.Format2025Unstable} {
		q := p
		q.Format = f
		b, err := q.Marshal()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "the same fields as %-22s %x\n", f+":", b)
	}
	return nil
}
