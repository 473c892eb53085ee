// flow.mjs: both devices of a 2024 QR-code login, as matrix-js-sdk runs
// them (its MSC4108 rendezvous session and secure channel, with the wasm
// crypto package), against a homeserver such as `simrun serve --variant
// msc4108-2024` through Node's fetch.
//
//   node flow.mjs --homeserver http://127.0.0.1:PORT [--timeout-ms 30000]
//
// The generating device (G, the new device, intent login) creates the
// rendezvous session through the js-sdk's own discovery (a minimal client
// object that reads /_matrix/client/versions) and makes the QR payload; the
// scanning device (S) decodes it with the wasm, reads the session and
// connects. Both sides then compare check codes and exchange one message
// each way (m.login.protocols S->G, m.login.protocol G->S), and G closes
// the session.
//
// The last line of standard output is RESULT followed by one JSON object:
//   {"ok": bool, "error": "...", "check_code_g", "check_code_s",
//    "qr_mode", "qr_url_matches", "received_by_g", "received_by_s",
//    "session_gone_after_close", "failures": [...], "requests": [...]}
// Exit status 0 when the flow ran to the end (ok may still be false: the Go
// test reads the fields), 1 on an error, 2 on bad usage.

import { MSC4108RendezvousSession, MSC4108SecureChannel } from "matrix-js-sdk/lib/rendezvous/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";
import * as wasm from "@matrix-org/matrix-sdk-crypto-wasm";

const USAGE = "usage: node flow.mjs --homeserver URL [--timeout-ms N]\n";

function parseArgs(argv) {
  const out = { homeserver: "", timeoutMs: 30000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--homeserver" && i + 1 < argv.length) out.homeserver = argv[++i].replace(/\/+$/, "");
    else if (a === "--timeout-ms" && i + 1 < argv.length) out.timeoutMs = Number(argv[++i]);
    else {
      process.stderr.write(`flow.mjs: unknown argument ${JSON.stringify(a)}\n` + USAGE);
      process.exit(2);
    }
  }
  if (!out.homeserver || !(out.timeoutMs > 0)) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const result = {
  ok: false,
  failures: [],
  requests: [],
};

function finish(code) {
  process.stdout.write("RESULT " + JSON.stringify(result) + "\n");
  process.exit(code);
}

const timer = setTimeout(() => {
  result.error = `the flow did not finish within ${args.timeoutMs} ms`;
  finish(1);
}, args.timeoutMs);

// The js-sdk logs every request at info level; keep standard output for the
// result (its logger writes warnings and errors to standard error anyway).
logger.setLevel("warn");

// A fetch that records what each device sent and got, for the Go test.
function recordingFetch(who) {
  return async (resource, options = {}) => {
    const res = await globalThis.fetch(resource, options);
    result.requests.push({
      device: who,
      method: options.method ?? "GET",
      url: String(resource),
      if_match: options.headers?.["if-match"] ?? null,
      if_none_match: options.headers?.["if-none-match"] ?? null,
      status: res.status,
      content_type: res.headers.get("content-type"),
      etag: res.headers.get("etag"),
    });
    return res;
  };
}

// The least of a MatrixClient that the session's create needs: whether the
// server advertises the 2024 API in /versions, and the unstable URL of an
// endpoint.
function minimalClient(base, fetchFn) {
  return {
    async doesServerSupportUnstableFeature(feature) {
      const res = await fetchFn(base + "/_matrix/client/versions", { method: "GET" });
      if (res.status !== 200) return false;
      const body = await res.json();
      return body?.unstable_features?.[feature] === true;
    },
    http: {
      getUrl(path, queryParams, prefix) {
        const url = new URL(base + prefix + path);
        for (const [k, v] of Object.entries(queryParams ?? {})) url.searchParams.set(k, v);
        return url;
      },
    },
  };
}

async function main() {
  await wasm.initAsync();
  const fetchG = recordingFetch("G");
  const fetchS = recordingFetch("S");
  const onFailure = (who) => (reason) => result.failures.push({ device: who, reason: String(reason) });

  // G: create the session (an empty payload) and make the QR code.
  const gSession = new MSC4108RendezvousSession({
    client: minimalClient(args.homeserver, fetchG),
    fetchFn: fetchG,
    onFailure: onFailure("G"),
  });
  const gChannel = new MSC4108SecureChannel(gSession, undefined, onFailure("G"));
  await gSession.send("");
  if (!gSession.url) throw new Error("G: no rendezvous URL after create");
  result.rendezvous_url = gSession.url;
  const qr = await gChannel.generateCode(wasm.QrCodeMode.Login);

  // S: scan it.
  const scanned = wasm.QrCodeData.fromBytes(qr);
  result.qr_mode = scanned.mode === wasm.QrCodeMode.Login ? "login" : "reciprocate";
  result.qr_url_matches = scanned.rendezvousUrl === gSession.url;
  const sSession = new MSC4108RendezvousSession({
    url: scanned.rendezvousUrl,
    fetchFn: fetchS,
    onFailure: onFailure("S"),
  });
  const sChannel = new MSC4108SecureChannel(sSession, scanned.publicKey, onFailure("S"));

  // Both connect at once: S sends LoginInitiate, G answers LoginOk.
  await Promise.all([gChannel.connect(), sChannel.connect()]);
  result.check_code_g = gChannel.getCheckCode() ?? null;
  result.check_code_s = sChannel.getCheckCode() ?? null;

  // A message each way.
  const protocols = { type: "m.login.protocols", protocols: ["device_authorization_grant"], homeserver: "lab.example" };
  const [, gotG] = await Promise.all([sChannel.secureSend(protocols), gChannel.secureReceive()]);
  result.received_by_g = gotG ?? null;
  const protocol = {
    type: "m.login.protocol",
    protocol: "device_authorization_grant",
    device_authorization_grant: { verification_uri: args.homeserver + "/oauth/link" },
    device_id: "JSSDKNEWDEVICE",
  };
  const [, gotS] = await Promise.all([gChannel.secureSend(protocol), sChannel.secureReceive()]);
  result.received_by_s = gotS ?? null;

  // G closes the session; S's view of it is gone.
  await gChannel.close();
  const after = await globalThis.fetch(gSession.url, { method: "GET" });
  result.session_gone_after_close = after.status === 404;

  result.ok =
    result.check_code_g !== null &&
    result.check_code_g === result.check_code_s &&
    JSON.stringify(result.received_by_g) === JSON.stringify(protocols) &&
    JSON.stringify(result.received_by_s) === JSON.stringify(protocol) &&
    result.failures.length === 0;
}

main().then(
  () => {
    clearTimeout(timer);
    finish(0);
  },
  (err) => {
    clearTimeout(timer);
    result.error = String(err?.stack ?? err);
    finish(1);
  },
);
