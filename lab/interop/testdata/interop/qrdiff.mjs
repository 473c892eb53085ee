// qrdiff.mjs: the QR decoder of the pinned npm package
// @matrix-org/matrix-sdk-crypto-wasm as a long-lived JSON-lines process, so
// that `simrun fuzz-qr` can decode thousands of fuzzed payloads without
// starting Node for each.
//
//   node qrdiff.mjs
//
// It first prints {"hello":"qrdiff","version":1,"decoder":"..."}; then each
// input line {"payload":"<unpadded standard base64>"} gets one output line:
// {"ok":true,"fields":{...}} with the field names of `simrun qr decode`
// (format, intent, public_key, rendezvous_url, server_name, rendezvous_id,
// base_url), or {"ok":false,"error":"..."} when the decoder refuses the
// bytes. A line that is not such a request gets {"bad":"..."}.

import { createInterface } from "node:readline";
import { writeSync } from "node:fs";

function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

let wasm;
try {
  wasm = await import("@matrix-org/matrix-sdk-crypto-wasm");
  await wasm.initAsync();
} catch (e) {
  writeSync(2, `qrdiff.mjs: loading the wasm module: ${errorText(e)}\n`);
  process.exit(1);
}

function intentName(mode) {
  if (mode === wasm.QrCodeIntent.Login) return "login";
  if (mode === wasm.QrCodeIntent.Reciprocate) return "reciprocate";
  return `unknown(${mode})`;
}

function decode(bytes) {
  let qr;
  try {
    qr = wasm.QrCodeData.fromBytes(bytes);
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
  const f = {};
  const data = qr.intentData;
  const m4108 = data.msc4108;
  const m4388 = data.msc4388;
  if (m4108) f.format = "msc4108-2024";
  else if (m4388) f.format = "msc4388-2025-unstable";
  else f.format = "unknown";
  f.intent = intentName(qr.mode);
  f.public_key = qr.publicKey.toBase64();
  if (m4108) {
    f.rendezvous_url = m4108.rendezvousUrl;
    const sn = m4108.serverName;
    if (sn !== undefined && sn !== null) f.server_name = sn;
  } else if (m4388) {
    f.rendezvous_id = m4388.rendezvousId;
    f.base_url = m4388.baseUrl;
  }
  qr.free();
  return { ok: true, fields: f };
}

function answer(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    return { bad: `not JSON: ${errorText(e)}` };
  }
  if (req === null || typeof req !== "object" || typeof req.payload !== "string") {
    return { bad: "want an object with a string field payload" };
  }
  return decode(new Uint8Array(Buffer.from(req.payload, "base64")));
}

const version = JSON.parse(
  (await import("node:fs")).readFileSync(new URL("./node_modules/@matrix-org/matrix-sdk-crypto-wasm/package.json", import.meta.url), "utf8"),
).version;
process.stdout.write(JSON.stringify({ hello: "qrdiff", version: 1, decoder: `matrix-sdk-crypto-wasm ${version}` }) + "\n");
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === "") continue;
  process.stdout.write(JSON.stringify(answer(line)) + "\n");
}
