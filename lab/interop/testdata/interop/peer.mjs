// peer.mjs: the real vodozemac ECIES secure channel (via the pinned npm
// package @matrix-org/matrix-sdk-crypto-wasm) as a JSON-lines peer on
// stdin/stdout. It speaks exactly the protocol of `simrun channel`, so a test
// can wire either implementation to either role:
//
//   node peer.mjs --role generator|scanner [--construction ecies-vodozemac] [--digits 00-99|10-99]
//
// On start it prints {"event":"ready","public_key":"<b64>"}. Then, one JSON
// object per input line, one per output line:
//   {"op":"establish","peer_key":"<b64>","plaintext":"..."}  scanner only -> {"event":"send","payload":"..."}
//   {"op":"receive","payload":"..."}                        -> {"event":"received","plaintext":"..."}
//   {"op":"send","plaintext":"..."}                         -> {"event":"send","payload":"..."}
//   {"op":"check_code"}                                     -> {"event":"check_code","code":"NN"}
// The generator's first receive establishes the channel from the scanner's
// initial message. Any op may carry "aad":"<b64>"; vodozemac's ECIES has no
// associated data, so a non-empty aad is an error (and changes no state). Any
// failure prints {"event":"error","error":"..."} and the peer keeps serving.
// End of input ends the peer with exit status 0; bad usage exits 2.
//
// Facts about the wasm that this file relies on (18.9.0):
// - On Node the module loads itself synchronously on first use; initAsync()
//   is optional there, and we await it once so that a broken install fails at
//   start, before the ready line.
// - Ecies.establish_outbound_channel(key, plaintext) takes the
//   Curve25519PublicKey object by value (it is freed), so build a fresh one.
// - An Ecies can establish only once, and an establish_inbound_channel whose
//   decryption fails spends it too: the genuine initial message that follows
//   is refused, "already established and used up". (One that does not parse,
//   no "|" or a bad key, leaves it usable.)
// - EstablishedEcies.decrypt consumes a receive nonce whenever the AEAD open
//   fails (tampered, replayed, truncated, wrong direction); a payload that is
//   not base64 fails before that and consumes none.

import { createInterface } from "node:readline";
import { writeSync } from "node:fs";
import * as wasm from "@matrix-org/matrix-sdk-crypto-wasm";

const USAGE =
  "usage: node peer.mjs --role generator|scanner [--construction ecies-vodozemac] [--digits 00-99|10-99]\n";

function usageError(msg) {
  writeSync(2, `peer.mjs: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { role: "", construction: "ecies-vodozemac", digits: "00-99" };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === "-h" || arg === "--help") {
      writeSync(1, USAGE);
      process.exit(0);
    }
    let value;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const name = arg.replace(/^--?/, "");
    if (!(name in opts) || !arg.startsWith("-")) usageError(`unexpected argument ${JSON.stringify(argv[i])}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) usageError(`${arg} needs a value`);
      value = argv[++i];
    }
    opts[name] = value;
  }
  if (opts.role !== "generator" && opts.role !== "scanner") {
    usageError(`--role: want generator or scanner, got ${JSON.stringify(opts.role)}`);
  }
  if (opts.construction !== "ecies-vodozemac") {
    usageError(`--construction: the wasm only has ecies-vodozemac, got ${JSON.stringify(opts.construction)}`);
  }
  if (opts.digits !== "00-99" && opts.digits !== "10-99") {
    usageError(`--digits: want 00-99 or 10-99, got ${JSON.stringify(opts.digits)}`);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

try {
  await wasm.initAsync();
} catch (e) {
  writeSync(2, `peer.mjs: loading the wasm module: ${errorText(e)}\n`);
  process.exit(1);
}

const ecies = new wasm.Ecies();
const ourKey = ecies.public_key().toBase64();
/** @type {import("@matrix-org/matrix-sdk-crypto-wasm").EstablishedEcies | null} */
let channel = null;

function errorText(e) {
  if (e instanceof Error) return e.message;
  return String(e);
}

function emit(obj) {
  // Writes to pipes and files are synchronous on POSIX, so each line is out
  // (flushed) before the next input line is read.
  process.stdout.write(JSON.stringify(obj) + "\n");
}

class OpError extends Error {}

function stringField(op, name) {
  const v = op[name];
  if (v === undefined || v === null) throw new OpError(`${op.op}: missing ${name}`);
  if (typeof v !== "string") throw new OpError(`${op.op}: ${name} must be a string, got ${typeof v}`);
  return v;
}

function handle(line) {
  let op;
  try {
    op = JSON.parse(line);
  } catch (e) {
    throw new OpError(`input is not a JSON object: ${errorText(e)}`);
  }
  if (op === null || typeof op !== "object" || Array.isArray(op)) {
    throw new OpError("input is not a JSON object");
  }
  if (op.aad !== undefined && op.aad !== null && op.aad !== "") {
    if (typeof op.aad !== "string") throw new OpError("aad must be a base64 string");
    throw new OpError("aad: vodozemac's ECIES has no associated data; only an empty aad is accepted");
  }
  switch (op.op) {
    case "establish": {
      if (opts.role !== "scanner") {
        throw new OpError("establish: only the scanner establishes; this peer is the generator");
      }
      if (channel !== null) throw new OpError("establish: the channel is already established");
      const plaintext = stringField(op, "plaintext");
      const peerKey = stringField(op, "peer_key");
      let key;
      try {
        key = new wasm.Curve25519PublicKey(peerKey);
      } catch (e) {
        throw new OpError(`establish: peer_key: ${errorText(e)}`);
      }
      const result = ecies.establish_outbound_channel(key, plaintext);
      channel = result.channel;
      return { event: "send", payload: result.initial_message };
    }
    case "receive": {
      const payload = stringField(op, "payload");
      if (channel !== null) {
        return { event: "received", plaintext: channel.decrypt(payload) };
      }
      if (opts.role !== "generator") {
        throw new OpError("receive: the scanner must establish before it can receive");
      }
      const result = ecies.establish_inbound_channel(payload);
      channel = result.channel;
      return { event: "received", plaintext: result.message };
    }
    case "send": {
      const plaintext = stringField(op, "plaintext");
      if (channel === null) throw new OpError("send: the channel is not established yet");
      return { event: "send", payload: channel.encrypt(plaintext) };
    }
    case "check_code": {
      if (channel === null) throw new OpError("check_code: the channel is not established yet");
      const code = channel.check_code();
      const n = opts.digits === "10-99" ? code.toDigitNoLeadingZero() : code.to_digit();
      return { event: "check_code", code: String(n).padStart(2, "0") };
    }
    case undefined:
    case null:
    case "":
      throw new OpError("missing op");
    default:
      throw new OpError(
        `unknown op ${JSON.stringify(op.op)} (want establish, receive, send or check_code)`,
      );
  }
}

emit({ event: "ready", public_key: ourKey });

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on("line", (line) => {
  let reply;
  try {
    reply = handle(line);
  } catch (e) {
    // Errors thrown by the wasm (decrypt, establish) are passed on verbatim.
    let prefix = "";
    if (!(e instanceof OpError)) {
      try {
        prefix = `${JSON.parse(line).op}: `;
      } catch {
        prefix = "";
      }
    }
    reply = { event: "error", error: prefix + errorText(e) };
  }
  emit(reply);
});
rl.on("close", () => {
  process.exitCode = 0;
});
