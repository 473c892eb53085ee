package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"qrlab/lab/calibrate"
)

const calibrateUsage = `usage: simrun calibrate [--n N] [--profile NAME:LOSS%:RTTms ...] [--variant NAME]
                        [--parallel P] [--seed S] [--loss-recovery rack-tlp|rto] [--json]
                        [--rto-estimator linux|linux-floor|rfc6298] [--ack-loss] [--socket-log FILE]
                        [--cc NAME] [--go-tls-sizes] [--handshake-pacing] [--syn-timestamps] [--finished-flight]
                        [--synack-timer]
       simrun calibrate --resim SAVED.json [--n N] [--variant NAME] [--seed S]
                        [--loss-recovery rack-tlp|rto] [--rto-estimator linux|linux-floor|rfc6298] [--ack-loss]
                        [--go-tls-sizes] [--handshake-pacing] [--syn-timestamps] [--finished-flight]
                        [--synack-timer] [--json]

Checks the simulator's tcp transport against the kernel's TCP. In a private
network namespace of its own (root needed; nothing outside is touched), it
serves the model over HTTPS on loopback (as simrun serve does), drops each
TCP packet with the profile's loss (nftables: numgen random) and holds each
for half the profile's round trip (an NFQUEUE rule and a user-space delay
queue), and runs N logins of the model's two devices, a fast user and the
browser against it in wall time. The simulator runs N seeds of the same
variant, user and profile over its tcp transport. For each profile it
prints time to token and to secrets side by side (quantiles), their
Kolmogorov-Smirnov distance, and the failure rates with 95% Wilson
intervals; then each kind of HTTP exchange's durations side by side (real
and simulated), and all exchanges' durations in bands of round trips.
--socket-log appends ss -tin's view of every TCP socket in the namespace
(its RTO, RTT, delayed-ACK timeout, retransmissions) to a file. --cc sets
the real side's TCP congestion control (default cubic, Linux's own default,
whatever the host's is): the namespace's net.ipv4.tcp_congestion_control
where the kernel takes it, and every socket's TCP_CONGESTION (a namespace
may set by sysctl only those in the host's tcp_allowed_congestion_control);
the output names it as read back from the server's socket.

Default profiles: clean-50ms:0:50, loss2-50ms:2:50, loss8-200ms:8:200.
--resim runs only the simulator's side again, against the real side of a
saved --json output (N: as many logins as the real side had, unless --n is
given), for instance with another --loss-recovery or --rto-estimator; it
needs no namespace.
Needs: root, ip, nft and iptables (apt-get install -y nftables iptables),
and a kernel with NFQUEUE. Exit status: 0 when it ran, 2 on bad usage or
when the namespace or the rules cannot be made.
Flags:
`

type profileList []calibrate.Profile

func (p *profileList) String() string { return fmt.Sprint(*p) }
func (p *profileList) Set(s string) error {
	pr, err := calibrate.ParseProfile(s)
	if err != nil {
		return err
	}
	*p = append(*p, pr)
	return nil
}

func runCalibrate(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun calibrate", calibrateUsage, stderr, nil)
	n := intFlagOf(fs, "n", 40, 1, 100000, "logins per profile on each side")
	parallel := intFlagOf(fs, "parallel", 4, 1, 64, "real logins at once")
	seed := fs.Uint64("seed", 1, "the simulator's first seed")
	name := fs.String("variant", "msc4388", "design variant of both devices and the server")
	asJSON := fs.Bool("json", false, "print the rows as JSON")
	resim := fs.String("resim", "", "a saved --json output: run the simulator's side again against its real side")
	recovery := fs.String("loss-recovery", "", "the simulator's tcp loss_recovery, rack-tlp or rto (default: the transport's)")
	ackLoss := fs.Bool("ack-loss", false, "the simulator's tcp ack_loss: the client's pure ACKs are lost with the link's loss")
	goTLS := fs.Bool("go-tls-sizes", false, "give the simulator the real side's TLS flights as its sockets sent them (ClientHello 1455 bytes, server flight 1799)")
	synTS := fs.Bool("syn-timestamps", false, "the simulator's tcp syn_timestamps: a handshake whose SYN or SYN-ACK was resent is still an RTT sample (Linux's timestamp echo), instead of the 3 s fallback RTO")
	finFlight := fs.Bool("finished-flight", false, "the simulator's tcp tls_finished_flight: the client's TLS Finished and its first request leave as one flight, so a lost Finished is found from the request's acknowledgment")
	cut := fs.Bool("synack-timer", false, "the simulator's tcp synack_timer: the server resends its SYN-ACK on its own timer too, and one that resent it twice (its timer and the resent SYN's answer) starts with a one-segment window")
	pacing := fs.Bool("handshake-pacing", false, "add to the simulator's side with the harness cost the wait bbr's pacing would put between each TLS flight's two segments")
	estimator := fs.String("rto-estimator", "", "the simulator's tcp rto_estimator, linux, linux-floor or rfc6298 (default: the transport's)")
	sockets := fs.String("socket-log", "", "append the kernel's TCP socket state (ss -tin) in the namespace to this file twice a second while the real side runs")
	cc := fs.String("cc", calibrate.DefaultCC, "the real side's TCP congestion control, set in its namespace (net.ipv4.tcp_congestion_control)")
	var profiles profileList
	fs.Var(&profiles, "profile", "a profile NAME:LOSS_PERCENT:RTT_MS (repeatable; default the three above)")
	if code := parseNoArgs(fs, args, stderr); code >= 0 {
		return code
	}
	switch *recovery {
	case "", "rack-tlp", "rto":
	default:
		fmt.Fprintf(stderr, "simrun calibrate: --loss-recovery %q is not rack-tlp or rto\n", *recovery)
		return 2
	}
	switch *estimator {
	case "", "linux", "linux-floor", "rfc6298":
	default:
		fmt.Fprintf(stderr, "simrun calibrate: --rto-estimator %q is not linux, linux-floor or rfc6298\n", *estimator)
		return 2
	}
	if err := calibrate.ValidateCC(*cc); err != nil {
		fmt.Fprintf(stderr, "simrun calibrate: --cc: %v\n", err)
		return 2
	}
	if *resim != "" {
		ccSet := false
		fs.Visit(func(f *flag.Flag) { ccSet = ccSet || f.Name == "cc" })
		if ccSet {
			fmt.Fprintln(stderr, "simrun calibrate: --cc applies to the real side, which --resim does not run again (the saved rows name theirs)")
			return 2
		}
		return resimCalibrate(fs, *resim, *n, *seed, *name, calibrate.Options{LossRecovery: *recovery, RTOEstimator: *estimator, AckLoss: *ackLoss, GoTLSSizes: *goTLS, HandshakePacing: *pacing, SynTimestamps: *synTS, FinishedFlight: *finFlight, SynAckTimer: *cut}, *asJSON, stdout, stderr)
	}
	if !calibrate.InNamespace() {
		if p := calibrate.Prereqs(); p != "" {
			fmt.Fprintf(stderr, "simrun calibrate: cannot shape loopback here: missing %s\n", p)
			return 2
		}
		if err := calibrate.Reexec(append([]string{"calibrate"}, args...), stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "simrun calibrate: %v\n", err)
			return 2
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := calibrate.Options{Variant: *name, N: *n, Parallel: *parallel, Seed: *seed, Progress: stderr, LossRecovery: *recovery,
		RTOEstimator: *estimator, AckLoss: *ackLoss, SocketLog: *sockets, CC: *cc, GoTLSSizes: *goTLS, HandshakePacing: *pacing, SynTimestamps: *synTS, FinishedFlight: *finFlight, SynAckTimer: *cut}
	if len(profiles) > 0 {
		opts.Profiles = profiles
	}
	rows, err := calibrate.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "simrun calibrate: %v\n", err)
		return 2
	}
	return writeCalibrate(stdout, rows, *asJSON)
}

// resimCalibrate is simrun calibrate --resim: the simulator's side again
// against a saved run's real side.
func resimCalibrate(fs *flag.FlagSet, path string, n int, seed uint64, name string, tcp calibrate.Options, asJSON bool, stdout, stderr io.Writer) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "simrun calibrate: --resim: %v\n", err)
		return 2
	}
	var rows []calibrate.Row
	if err := json.Unmarshal(b, &rows); err != nil || len(rows) == 0 {
		fmt.Fprintf(stderr, "simrun calibrate: --resim %s: not a saved simrun calibrate --json output (%v)\n", path, err)
		return 2
	}
	nSet := false
	fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
	if !nSet {
		n = 0
	}
	rows, err = calibrate.Resim(rows, calibrate.Options{Variant: name, N: n, Seed: seed, LossRecovery: tcp.LossRecovery,
		RTOEstimator: tcp.RTOEstimator, AckLoss: tcp.AckLoss, GoTLSSizes: tcp.GoTLSSizes, HandshakePacing: tcp.HandshakePacing, SynTimestamps: tcp.SynTimestamps, FinishedFlight: tcp.FinishedFlight, SynAckTimer: tcp.SynAckTimer})
	if err != nil {
		fmt.Fprintf(stderr, "simrun calibrate: --resim %s: %v\n", path, err)
		return 2
	}
	return writeCalibrate(stdout, rows, asJSON)
}

// writeCalibrate prints calibrate's rows as JSON or as its two tables.
func writeCalibrate(stdout io.Writer, rows []calibrate.Row, asJSON bool) int {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rows)
		return 0
	}
	calibrate.WriteTable(stdout, rows)
	fmt.Fprintln(stdout)
	calibrate.WriteQuantiles(stdout, rows)
	fmt.Fprintln(stdout)
	calibrate.WriteExchanges(stdout, rows)
	calibrate.WriteDelayHistogram(stdout, rows)
	return 0
}
