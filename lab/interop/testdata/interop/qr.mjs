// qr.mjs: build and parse QR login payloads with the real QrCodeData of the
// pinned npm package @matrix-org/matrix-sdk-crypto-wasm, using qrlab's field
// names, so a test can compare it with `simrun qr`.
//
//   node qr.mjs encode '<json>'   prints the unpadded standard base64 of the payload bytes
//   node qr.mjs decode <b64>      prints one JSON object with our field names
//
// Fields: format ("msc4108-2024" or "msc4388-2025-unstable"), intent ("login"
// or "reciprocate"), public_key (base64), and for msc4108-2024 rendezvous_url
// and server_name (reciprocate only), for msc4388-2025-unstable rendezvous_id
// and base_url. encode infers a missing format from the other fields.
// Exit status: 0 ok, 1 the wasm refused the input (its error on stderr), 2 bad usage.
//
// What the wasm 18.9.0 does (see the hex dumps in the interop test):
// - new QrCodeData(key, url, serverName?) writes "MATRIX" 0x02 0x03|0x04 key
//   u16 url [u16 serverName]; the intent is 0x04 exactly when a server name
//   is given (an empty one too). The URL is parsed and written normalized
//   (lower-case host, default port dropped, "/" path for a bare origin).
// - QrCodeData.newMsc4388(key, id, baseUrl, intent) writes
//   "IO_ELEMENT_MSC4388" 0x03 0x00|0x01 key u16 id u16 baseUrl, with a root
//   base URL's trailing "/" dropped; the baseUrl getter gives the parsed URL,
//   which has that "/" (https://example.org/).
// - Decoding rejects the u8-ID-length layout, the IO_ELEMENT_MSC4108 prefix
//   and "MATRIX" with type 0x03; it ignores trailing bytes.
// - Both constructors take the Curve25519PublicKey object by value (it is
//   freed), so each call gets a fresh one.

import { writeSync } from "node:fs";
import * as wasm from "@matrix-org/matrix-sdk-crypto-wasm";

const USAGE = "usage: node qr.mjs encode '<json>' | node qr.mjs decode <base64>\n";
const FORMAT_2024 = "msc4108-2024";
const FORMAT_4388 = "msc4388-2025-unstable";
const FIELDS = ["format", "intent", "public_key", "rendezvous_url", "server_name", "rendezvous_id", "base_url"];

function fail(code, msg) {
  writeSync(2, `qr.mjs: ${msg}\n`);
  if (code === 2) writeSync(2, USAGE);
  process.exit(code);
}

function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

function unpaddedBase64(bytes) {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}

function intentName(mode) {
  switch (mode) {
    case wasm.QrCodeIntent.Login:
      return "login";
    case wasm.QrCodeIntent.Reciprocate:
      return "reciprocate";
  }
  throw new Error(`the wasm reported an unknown intent ${mode}`);
}

function encode(fields) {
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) {
    fail(2, "encode: the argument must be a JSON object");
  }
  for (const [k, v] of Object.entries(fields)) {
    if (!FIELDS.includes(k)) fail(2, `encode: unknown field ${JSON.stringify(k)} (known: ${FIELDS.join(", ")})`);
    if (typeof v !== "string") fail(2, `encode: field ${k} must be a string`);
  }
  const has = (k) => Object.hasOwn(fields, k);
  let format = fields.format;
  if (format === undefined) format = has("rendezvous_id") || has("base_url") ? FORMAT_4388 : FORMAT_2024;
  if (!has("public_key")) fail(2, "encode: missing public_key");
  if (fields.intent !== "login" && fields.intent !== "reciprocate") {
    fail(2, `encode: intent: want login or reciprocate, got ${JSON.stringify(fields.intent)}`);
  }
  const only = (allowed) => {
    for (const k of ["rendezvous_url", "server_name", "rendezvous_id", "base_url"]) {
      if (has(k) && !allowed.includes(k)) fail(2, `encode: field ${k} does not belong to format ${format}`);
    }
  };
  let qr;
  try {
    const key = new wasm.Curve25519PublicKey(fields.public_key);
    if (format === FORMAT_2024) {
      only(["rendezvous_url", "server_name"]);
      if (!has("rendezvous_url")) fail(2, "encode: missing rendezvous_url");
      // The 2024 constructor has no intent argument: a server name makes it
      // "reciprocate", none makes it "login".
      if (fields.intent === "reciprocate" && !has("server_name")) {
        fail(2, "encode: format msc4108-2024 with intent reciprocate needs server_name");
      }
      if (fields.intent === "login" && has("server_name")) {
        fail(2, "encode: format msc4108-2024 with intent login carries no server_name");
      }
      qr = new wasm.QrCodeData(key, fields.rendezvous_url, fields.server_name);
    } else if (format === FORMAT_4388) {
      only(["rendezvous_id", "base_url"]);
      if (!has("rendezvous_id")) fail(2, "encode: missing rendezvous_id");
      if (!has("base_url")) fail(2, "encode: missing base_url");
      const intent = fields.intent === "login" ? wasm.QrCodeIntent.Login : wasm.QrCodeIntent.Reciprocate;
      qr = wasm.QrCodeData.newMsc4388(key, fields.rendezvous_id, fields.base_url, intent);
    } else {
      fail(2, `encode: format: want ${FORMAT_2024} or ${FORMAT_4388}, got ${JSON.stringify(format)}`);
    }
  } catch (e) {
    fail(1, `encode: ${errorText(e)}`);
  }
  return unpaddedBase64(qr.toBytes());
}

function decode(b64) {
  let qr;
  try {
    // The wasm's own base64 decoder: it takes padded, unpadded and URL-safe input.
    qr = wasm.QrCodeData.fromBase64(b64);
  } catch (e) {
    fail(1, `decode: ${errorText(e)}`);
  }
  const out = {};
  const data = qr.intentData;
  const m4108 = data.msc4108;
  const m4388 = data.msc4388;
  if (m4108) {
    out.format = FORMAT_2024;
  } else if (m4388) {
    out.format = FORMAT_4388;
  } else {
    fail(1, "decode: the wasm returned neither MSC4108 nor MSC4388 intent data");
  }
  out.intent = intentName(qr.mode);
  out.public_key = qr.publicKey.toBase64();
  if (m4108) {
    out.rendezvous_url = m4108.rendezvousUrl;
    const sn = m4108.serverName;
    if (sn !== undefined && sn !== null) out.server_name = sn;
  } else {
    out.rendezvous_id = m4388.rendezvousId;
    out.base_url = m4388.baseUrl;
  }
  return JSON.stringify(out);
}

const [cmd, arg, ...rest] = process.argv.slice(2);
if (cmd === "-h" || cmd === "--help") {
  writeSync(1, USAGE);
  process.exit(0);
}
if (arg === undefined || rest.length > 0) fail(2, "want exactly one command and one argument");
try {
  await wasm.initAsync();
} catch (e) {
  fail(1, `loading the wasm module: ${errorText(e)}`);
}
switch (cmd) {
  case "encode": {
    let fields;
    try {
      fields = JSON.parse(arg);
    } catch (e) {
      fail(2, `encode: the argument is not JSON: ${errorText(e)}`);
    }
    process.stdout.write(encode(fields) + "\n");
    break;
  }
  case "decode":
    process.stdout.write(decode(arg) + "\n");
    break;
  default:
    fail(2, `unknown command ${JSON.stringify(cmd)}`);
}
