// fuzzpeer.mjs: the real vodozemac ECIES secure channel (via the pinned npm
// package @matrix-org/matrix-sdk-crypto-wasm) as a version-2 JSON-lines peer
// (lab/peer/PROTOCOL.md): many named sessions in one process, so that
// `simrun fuzz-peer` can drive thousands of sessions without starting Node
// for each.
//
//   node fuzzpeer.mjs [--echo]
//
// --echo answers every op at once without any cryptography (hello, ready
// with a fixed key, closed, and an error for everything else): the ceiling
// of what the process boundary allows, for throughput measurements.
//
// The pinned wasm package (18.9.0) exposes ECIES only (Ecies,
// EstablishedEcies); it has no HPKE channel, so hello lists
// ecies-vodozemac alone and says it takes no additional data.

import { createInterface } from "node:readline";
import { writeSync } from "node:fs";

const echo = process.argv.slice(2).includes("--echo");
for (const a of process.argv.slice(2)) {
  if (a !== "--echo") {
    writeSync(2, `fuzzpeer.mjs: unexpected argument ${JSON.stringify(a)}\nusage: node fuzzpeer.mjs [--echo]\n`);
    process.exit(2);
  }
}

let wasm = null;
if (!echo) {
  try {
    wasm = await import("@matrix-org/matrix-sdk-crypto-wasm");
    await wasm.initAsync();
  } catch (e) {
    writeSync(2, `fuzzpeer.mjs: loading the wasm module: ${errorText(e)}\n`);
    process.exit(1);
  }
}

function errorText(e) {
  if (e instanceof Error) return e.message;
  return String(e);
}

class OpError extends Error {}

// A session: its role, its unestablished Ecies and, once there is one, its
// established channel.
const sessions = new Map();

function stringField(op, name) {
  const v = op[name];
  if (v === undefined || v === null) throw new OpError(`${op.op}: missing ${name}`);
  if (typeof v !== "string") throw new OpError(`${op.op}: ${name} must be a string, got ${typeof v}`);
  return v;
}

function free(s) {
  if (s.channel !== null) s.channel.free();
  s.ecies.free();
}

function sessionOp(op, s) {
  switch (op.op) {
    case "establish": {
      if (s.role !== "scanner") throw new OpError("establish: only the scanner establishes; this peer is the generator");
      if (s.channel !== null) throw new OpError("establish: the channel is already established");
      const plaintext = stringField(op, "plaintext");
      const peerKey = stringField(op, "peer_key");
      let key;
      try {
        key = new wasm.Curve25519PublicKey(peerKey);
      } catch (e) {
        throw new OpError(`establish: peer_key: ${errorText(e)}`);
      }
      const result = s.ecies.establish_outbound_channel(key, plaintext);
      s.channel = result.channel;
      return { event: "send", payload: result.initial_message };
    }
    case "receive": {
      const payload = stringField(op, "payload");
      if (s.channel !== null) return { event: "received", plaintext: s.channel.decrypt(payload) };
      if (s.role !== "generator") throw new OpError("receive: the scanner must establish before it can receive");
      const result = s.ecies.establish_inbound_channel(payload);
      s.channel = result.channel;
      return { event: "received", plaintext: result.message };
    }
    case "send": {
      const plaintext = stringField(op, "plaintext");
      if (s.channel === null) throw new OpError("send: the channel is not established yet");
      return { event: "send", payload: s.channel.encrypt(plaintext) };
    }
    case "check_code": {
      if (s.channel === null) throw new OpError("check_code: the channel is not established yet");
      return { event: "check_code", code: String(s.channel.check_code().to_digit()).padStart(2, "0") };
    }
    case undefined:
    case null:
    case "":
      throw new OpError("missing op");
  }
  throw new OpError(`unknown op ${JSON.stringify(op.op)}`);
}

function handle(op) {
  if (op.op === "hello") return { event: "hello", protocol: 2, constructions: ["ecies-vodozemac"], aad: false };
  const name = op.session;
  if (typeof name !== "string" || name === "") throw new OpError(`${op.op}: missing session (this peer has no default session)`);
  if (op.op === "new") {
    if (sessions.has(name)) throw new OpError(`new: session ${JSON.stringify(name)} already exists`);
    if (op.role !== "generator" && op.role !== "scanner") {
      throw new OpError(`new: role: want generator or scanner, got ${JSON.stringify(op.role)}`);
    }
    if (echo) return { event: "ready", public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
    const s = { role: op.role, ecies: new wasm.Ecies(), channel: null };
    sessions.set(name, s);
    return { event: "ready", public_key: s.ecies.public_key().toBase64() };
  }
  if (op.op === "close") {
    if (echo) return { event: "closed" };
    const s = sessions.get(name);
    if (s === undefined) throw new OpError(`close: no session ${JSON.stringify(name)}`);
    sessions.delete(name);
    free(s);
    return { event: "closed" };
  }
  if (echo) throw new OpError("echo");
  const s = sessions.get(name);
  if (s === undefined) throw new OpError(`${op.op}: no session ${JSON.stringify(name)}`);
  if (op.aad !== undefined && op.aad !== null && op.aad !== "") {
    throw new OpError("aad: vodozemac's ECIES has no associated data; only an empty aad is accepted");
  }
  return sessionOp(op, s);
}

function reply(line) {
  let op;
  try {
    op = JSON.parse(line);
  } catch (e) {
    return { event: "error", error: `input is not a JSON object: ${errorText(e)}` };
  }
  if (op === null || typeof op !== "object" || Array.isArray(op)) {
    return { event: "error", error: "input is not a JSON object" };
  }
  let ev;
  try {
    ev = handle(op);
  } catch (e) {
    // Errors thrown by the wasm (decrypt, establish) are passed on verbatim.
    const prefix = e instanceof OpError ? "" : `${op.op}: `;
    ev = { event: "error", error: prefix + errorText(e) };
  }
  if (typeof op.session === "string" && op.session !== "") ev.session = op.session;
  return ev;
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on("line", (line) => {
  process.stdout.write(JSON.stringify(reply(line)) + "\n");
});
rl.on("close", () => {
  process.exitCode = 0;
});
