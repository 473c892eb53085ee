package qr_test

import (
	"encoding/hex"
	"strings"

	"qrlab/model/qr"
)

// Values from the texts' examples.
const (
	specKeyB64 = "2IZoarIZe3gOMAqdSiFHSAcA15KfOasxueUUNwJI7Ws"
	specKeyHex = "d886686ab2197b780e300a9d4a2147480700d7929f39ab31b9e514370248ed6b"
	specURL    = "https://rendezvous.lab.element.dev/e8da6355-550b-4a32-a193-1619d9830668"
	specID     = "e8da6355-550b-4a32-a193-1619d9830668"
	specBase   = "https://matrix-client.matrix.org"

	sdkB64    = "SU9fRUxFTUVOVF9NU0M0Mzg4AwG0yzZ1QVpQ1jlnoxWX3d5jrWRFfELxjS2gN7pz9y+3PBowMUhYOUswMFExSDZLUEQ0N0VHNEcxVDNYRwAkaHR0cHM6Ly9zeW5hcHNlLW9pZGMubGFiLmVsZW1lbnQuZGV2"
	sdkKeyB64 = "tMs2dUFaUNY5Z6MVl93eY61kRXxC8Y0toDe6c/cvtzw"
	sdkID     = "01HX9K00Q1H6KPD47EG4G1T3XG"
	sdkBase   = "https://synapse-oidc.lab.element.dev"
)

// unhex decodes hex written with spaces and quoted ASCII runs: `4d41 "RIX" 02`.
func unhex(s string) []byte {
	var out []byte
	for i, part := range strings.Split(s, `"`) {
		if i%2 == 1 {
			out = append(out, part...)
			continue
		}
		b, err := hex.DecodeString(strings.Join(strings.Fields(part), ""))
		if err != nil {
			panic("bad test hex: " + err.Error())
		}
		out = append(out, b...)
	}
	return out
}

func mustKey(s string) qr.PublicKey {
	k, err := qr.ParsePublicKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

// vector is a payload and its bytes, both pinned.
type vector struct {
	name    string
	payload qr.Payload
	bytes   []byte
}

// vectors: the texts' examples, the Rust SDK's vector, and the u16 layouts
// built by hand (the wasm 18.9.0 writes the unstable ones byte for byte).
// TestDecodeErrors refers to some by index: add new ones at the end.
var vectors = []vector{
	{
		name: "msc4108-2024 login (MSC4108 example)",
		payload: qr.Payload{Format: qr.Format2024, Intent: qr.Login, Key: mustKey(specKeyB64),
			RendezvousURL: specURL},
		bytes: unhex(`4d4154524958 02 03` + specKeyHex + `0047 "` + specURL + `"`),
	},
	{
		name: "msc4108-2024 reciprocate (MSC4108 example)",
		payload: qr.Payload{Format: qr.Format2024, Intent: qr.Reciprocate, Key: mustKey(specKeyB64),
			RendezvousURL: specURL, ServerName: "matrix.org"},
		bytes: unhex(`4d4154524958 02 04` + specKeyHex + `0047 "` + specURL + `" 000A 6d61747269782e6f7267`),
	},
	{
		name: "msc4388 login (MSC4388 example)",
		payload: qr.Payload{Format: qr.Format2026, Intent: qr.Login, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`4D 41 54 52 49 58 03 00` + specKeyHex +
			`24 65 38 64 61 36 33 35 35 2D 35 35 30 62 2D 34 61 33 32 2D 61 31 39 33 2D 31 36 31 39 64 39 38 33 30 36 36 38` +
			`00 20 68 74 74 70 73 3A 2F 2F 6D 61 74 72 69 78 2D 63 6C 69 65 6E 74 2E 6d 61 74 72 69 78 2e 6f 72 67`),
	},
	{
		name: "msc4388 reciprocate",
		payload: qr.Payload{Format: qr.Format2026, Intent: qr.Reciprocate, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`"MATRIX" 03 01` + specKeyHex + `24 "` + specID + `" 0020 "` + specBase + `"`),
	},
	{
		name: "msc4388-unstable reciprocate (Rust SDK base64 vector)",
		payload: qr.Payload{Format: qr.Format2026Unstable, Intent: qr.Reciprocate, Key: mustKey(sdkKeyB64),
			RendezvousID: sdkID, BaseURL: sdkBase},
		bytes: unhex(`"IO_ELEMENT_MSC4388" 03 01 b4cb3675415a50d63967a31597ddde63ad64457c42f18d2da037ba73f72fb73c 1a "` +
			sdkID + `" 0024 "` + sdkBase + `"`),
	},
	{
		name: "msc4388-unstable login (MSC4388 example, unstable prefix)",
		payload: qr.Payload{Format: qr.Format2026Unstable, Intent: qr.Login, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`"IO_ELEMENT_MSC4388" 03 00` + specKeyHex + `24 "` + specID + `" 0020 "` + specBase + `"`),
	},
	{
		name: "msc4388-2025 login (by hand)",
		payload: qr.Payload{Format: qr.Format2025, Intent: qr.Login, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`"MATRIX" 03 00` + specKeyHex + `0024 "` + specID + `" 0020 "` + specBase + `"`),
	},
	{
		name: "msc4388-2025-unstable login (by hand; wasm 18.9.0 writes it)",
		payload: qr.Payload{Format: qr.Format2025Unstable, Intent: qr.Login, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`"IO_ELEMENT_MSC4388" 03 00` + specKeyHex + `0024 "` + specID + `" 0020 "` + specBase + `"`),
	},
	{
		name: "msc4388-2025-unstable reciprocate (by hand; wasm 18.9.0 writes it)",
		payload: qr.Payload{Format: qr.Format2025Unstable, Intent: qr.Reciprocate, Key: mustKey(sdkKeyB64),
			RendezvousID: sdkID, BaseURL: sdkBase},
		bytes: unhex(`"IO_ELEMENT_MSC4388" 03 01 b4cb3675415a50d63967a31597ddde63ad64457c42f18d2da037ba73f72fb73c 001a "` +
			sdkID + `" 0024 "` + sdkBase + `"`),
	},
	{
		name: "msc4388-2025-unstable reciprocate, IO_ELEMENT_MSC4108 prefix (the 2025 text's)",
		payload: qr.Payload{Format: qr.Format2025Unstable, Prefix: qr.PrefixMSC4108, Intent: qr.Reciprocate,
			Key: mustKey(specKeyB64), RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`"IO_ELEMENT_MSC4108" 03 01` + specKeyHex + `0024 "` + specID + `" 0020 "` + specBase + `"`),
	},
	// The two examples of the later MSC4388 revision (matrix-spec-proposals
	// 001ad154, "QR code format"), copied byte for byte: u8 base URL length.
	{
		name: "msc4388-bytes8 login (MSC4388 revision 001ad154 example)",
		payload: qr.Payload{Format: qr.Format2026Bytes8, Intent: qr.Login, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`4D 41 54 52 49 58` + `03 00` +
			`d8 86 68 6a b2 19 7b 78 0e 30 0a 9d 4a 21 47 48 07 00 d7 92 9f 39 ab 31 b9 e5 14 37 02 48 ed 6b` +
			`24` + `65 38 64 61 36 33 35 35 2D 35 35 30 62 2D 34 61 33 32 2D 61 31 39 33 2D 31 36 31 39 64 39 38 33 30 36 36 38` +
			`20` + `68 74 74 70 73 3A 2F 2F 6D 61 74 72 69 78 2D 63 6C 69 65 6E 74 2E 6d 61 74 72 69 78 2e 6f 72 67`),
	},
	{
		name: "msc4388-bytes8 reciprocate (MSC4388 revision 001ad154 example)",
		payload: qr.Payload{Format: qr.Format2026Bytes8, Intent: qr.Reciprocate, Key: mustKey(specKeyB64),
			RendezvousID: specID, BaseURL: specBase},
		bytes: unhex(`4D 41 54 52 49 58` + `03 01` +
			`d8 86 68 6a b2 19 7b 78 0e 30 0a 9d 4a 21 47 48 07 00 d7 92 9f 39 ab 31 b9 e5 14 37 02 48 ed 6b` +
			`24` + `65 38 64 61 36 33 35 35 2D 35 35 30 62 2D 34 61 33 32 2D 61 31 39 33 2D 31 36 31 39 64 39 38 33 30 36 36 38` +
			`20` + `68 74 74 70 73 3A 2F 2F 6D 61 74 72 69 78 2D 63 6C 69 65 6E 74 2E 6d 61 74 72 69 78 2e 6f 72 67`),
	},
}
