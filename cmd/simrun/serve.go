package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"qrlab/lab/live"
	"qrlab/model/variant"
	"qrlab/scenarios"
)

const serveUsage = `usage: simrun serve [--addr 127.0.0.1:8008] [--variant NAME] [--rendezvous-ttl D]
                    [--soft-cap N] [--hard-cap N] [--auth off|public|authenticated]
                    [--log off|requests|trace] [--shutdown-grace D]

Serves the model's homeserver and OAuth provider over real HTTP, for testing
real clients: the rendezvous API of the variant's flavour at the stable path
/_matrix/client/v1/rendezvous and at the flavour's unstable path
(.../org.matrix.msc4108/rendezvous for etag, .../io.element.msc4108/rendezvous
for sequence-token-2025, .../io.element.msc4388/rendezvous for sequence-token),
/_matrix/client/versions with the flavour's unstable feature flag, whoami,
devices, keys/upload, room_keys/version, auth_metadata/auth_issuer, and the
provider under /oauth/ (metadata, registration, device authorization, token,
and a minimal link and consent page where every browser is the test user).

Test user: @tester:<server name> (lab.example with the built-in presets),
device SIMRUNTESTER, access token "simrun-test-token". Send
"Authorization: Bearer simrun-test-token" to create sessions under
--auth authenticated and to call the endpoints that need a token.

Each exchange is logged to standard output: with --log requests (the
default) as one short line (milliseconds since the start, actor, status,
request, the models' effects), with --log trace as one JSON line in the
simulator's trace event shape (client address included), with --log off not
at all. Logging never holds up serving: lines wait in a bounded buffer for
a slow reader and are dropped, and counted, when it is full; when the
reader goes away (serve | head -1) that is said once on standard error and
logging stops while serving goes on. Messages go to standard error.

The server binds to loopback unless told otherwise and reads at most 64 KiB
of any request body. On SIGINT or SIGTERM it stops listening, waits up to
--shutdown-grace for open requests, closes the connections still open, and
exits 0: a requested stop is no failure.
Flags:
`

// runServe runs simrun serve until SIGINT or SIGTERM.
func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A log reader that goes away (serve | head -1) must not kill the
	// server with SIGPIPE: writes then fail with EPIPE, which the log
	// reports once.
	signal.Ignore(syscall.SIGPIPE)
	return serve(ctx, args, stdout, stderr, nil)
}

// serve is runServe with the context that ends it; ready, when set, gets the
// server once it listens (tests).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(*live.Server)) int {
	fs := newFlagSet("simrun serve", serveUsage, stderr, nil)
	addr := fs.String("addr", "127.0.0.1:8008", "listen address (port 0 picks a free one)")
	variantName := fs.String("variant", "msc4388", "design variant whose presets are served: a preset (simrun variants lists them) or a preset file NAME.json")
	ttl := fs.Duration("rendezvous-ttl", 0, "rendezvous session lifetime, such as 2m or 5s (default: the variant's; outside 120-300 s only warns)")
	softCap := fs.Int("soft-cap", -1, "sessions a sweep leaves (-1: the variant's, 100; 0: no soft cap)")
	hardCap := fs.Int("hard-cap", -1, "sessions that make a create evict at once (-1: the variant's, 200; 0: no hard cap)")
	sweep := fs.Duration("sweep-interval", 0, "how often expired and over-cap sessions are swept (default: the variant's, 1m)")
	auth := fs.String("auth", "public", "who may create sessions: off (API disabled), public, or authenticated (the test user's token)")
	logLevel := fs.String("log", "requests", "what goes to standard output: off, requests (a short line per exchange) or trace (JSON trace events)")
	grace := fs.Duration("shutdown-grace", 5*time.Second, "how long a stop waits for open requests before closing their connections")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	v, err := scenarios.LoadVariant(*variantName)
	if err != nil {
		if scenarios.IsVariantFile(*variantName) {
			fmt.Fprintf(stderr, "simrun serve: --variant: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "simrun serve: --variant: unknown variant %q (known: %s)\n", *variantName, strings.Join(variant.Names(), ", "))
		}
		return 2
	}
	mode, err := live.ParseAuthMode(*auth)
	if err != nil {
		fmt.Fprintf(stderr, "simrun serve: --auth: %v\n", err)
		return 2
	}
	if *ttl < 0 || (*ttl > 0 && *ttl < time.Millisecond) {
		fmt.Fprintf(stderr, "simrun serve: --rendezvous-ttl %v must be at least 1ms\n", *ttl)
		return 2
	}
	level, err := live.ParseLogLevel(*logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "simrun serve: --log: %v\n", err)
		return 2
	}
	if *grace <= 0 {
		fmt.Fprintf(stderr, "simrun serve: --shutdown-grace %v must be positive\n", *grace)
		return 2
	}
	if *sweep < 0 {
		fmt.Fprintf(stderr, "simrun serve: --sweep-interval %v must not be negative\n", *sweep)
		return 2
	}
	if *softCap < -1 || *hardCap < -1 {
		fmt.Fprintln(stderr, "simrun serve: --soft-cap and --hard-cap must not be negative")
		return 2
	}
	opts := live.Options{Variant: v, TTL: *ttl, SoftCap: *softCap, HardCap: *hardCap, SweepInterval: *sweep,
		Auth: mode, ShutdownGrace: *grace}
	// Check the configuration before binding, so bad flags exit 2.
	if _, _, err := live.RendezvousConfig(opts, "http://127.0.0.1"); err != nil {
		fmt.Fprintf(stderr, "simrun serve: %v\n", err)
		return 2
	}
	if !live.IsLoopback(*addr) {
		fmt.Fprintf(stderr, "simrun serve: warning: %s is not a loopback address; the lab server is for testing, not for exposure\n", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "simrun serve: %v\n", err)
		return 1
	}
	base := "http://" + ln.Addr().String()
	lg := live.NewLog(stdout, level, stderr, "simrun serve", 0)
	defer lg.Close(time.Second)
	opts.Log = lg
	srv, warn, err := live.New(opts, base)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "simrun serve: %v\n", err)
		return 2
	}
	defer srv.Close()
	if warn != "" {
		fmt.Fprintf(stderr, "simrun serve: warning: %s\n", warn)
	}
	rc := srv.RendezvousConfig()
	fmt.Fprintf(stderr, "simrun serve: listening on %s (variant %s, rendezvous %s/%s, auth %s, ttl %v)\n",
		base, v.Name, rc.Name, rc.Flavour, mode, time.Duration(rc.TTL)*time.Millisecond)
	fmt.Fprintf(stderr, "simrun serve: rendezvous at %s%s and %s%s; provider at %s; test user %s, token %s\n",
		base, rc.Prefixes[0], base, rc.Prefixes[1], srv.Issuer(), srv.TestUserID(), live.TestAccessToken)

	if ready != nil {
		ready(srv)
	}
	err = live.Serve(ctx, ln, srv, func(msg string) { fmt.Fprintln(stderr, "simrun serve: "+msg) })
	if err != nil {
		fmt.Fprintf(stderr, "simrun serve: %v\n", err)
		return 1
	}
	return 0
}
