// Package calibrate checks the simulator's tcp transport against a real
// TCP stack: the model's two devices log in over HTTPS to a live server
// (simrun serve's) on loopback, in a private network namespace where the
// kernel drops packets (nftables) and a user-space queue delays them
// (NFQUEUE), and the same logins run in the simulator with the same
// profile. It compares time to token, time to secrets and failure rates.
package calibrate

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"qrlab/lab/live"
	"qrlab/model/msg"
	"qrlab/model/qr"
	"qrlab/model/variant"
	"qrlab/sim"
)

// Profile is one network condition: every TCP packet is lost with
// LossPercent percent probability and takes RTTMillis/2 each way.
type Profile struct {
	Name        string
	LossPercent int
	RTTMillis   int64
}

// DefaultProfiles are the conditions checked by default.
func DefaultProfiles() []Profile {
	return []Profile{{"clean-50ms", 0, 50}, {"loss2-50ms", 2, 50}, {"loss8-200ms", 8, 200}}
}

// ParseProfile reads NAME:LOSS%:RTTms, such as "loss2-50ms:2:50".
func ParseProfile(s string) (Profile, error) {
	var p Profile
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return p, fmt.Errorf("profile %q: want NAME:LOSS_PERCENT:RTT_MS", s)
	}
	p.Name = parts[0]
	if _, err := fmt.Sscan(parts[1], &p.LossPercent); err != nil || p.LossPercent < 0 || p.LossPercent > 100 {
		return p, fmt.Errorf("profile %q: loss %q is not a whole percentage in [0, 100]", s, parts[1])
	}
	if _, err := fmt.Sscan(parts[2], &p.RTTMillis); err != nil || p.RTTMillis < 0 || p.RTTMillis > 10_000 {
		return p, fmt.Errorf("profile %q: RTT %q is not whole milliseconds in [0, 10000]", s, parts[2])
	}
	return p, nil
}

// Options say what to calibrate.
type Options struct {
	// Variant is the design both devices follow ("": msc4388).
	Variant string
	// Profiles are the conditions (nil: DefaultProfiles).
	Profiles []Profile
	// N is the number of logins per profile on each side.
	N int
	// Parallel is how many real logins run at once (0: 4).
	Parallel int
	// Seed is the simulator's first seed.
	Seed uint64
	// User is the think times (zero: FastUser).
	User Think
	// MSS is the loopback's segment size (loopback's MTU is set to MSS+52,
	// as on Ethernet with TCP timestamps), and the simulator's.
	MSS int
	// Progress, when set, gets a line per finished batch.
	Progress io.Writer
	// LossRecovery is the simulator's tcp loss_recovery ("": its default).
	LossRecovery string
	// RTOEstimator is the simulator's tcp rto_estimator ("": its default).
	RTOEstimator string
	// AckLoss sets the simulator's tcp ack_loss.
	AckLoss bool
	// HandshakePacing adds to the side with the harness cost the wait a
	// pacing congestion control (bbr) would put between the two segments
	// of each TLS flight (handshakePacing). Off by default: the pacing rate
	// is measured, but that it parts a flight written at once was not
	// (and Linux does not: it paces a connection only from its tenth data
	// segment on, tcp_update_skb_after_send), and a cubic run showed no
	// faster handshakes.
	HandshakePacing bool
	// GoTLSSizes gives both simulated sides the real side's TLS flights
	// as its sockets sent them (tls_client_bytes 1455, tls_server_bytes
	// 1799) instead of the plain side's one-segment estimates.
	GoTLSSizes bool
	// SynTimestamps sets the simulator's tcp syn_timestamps: the
	// handshake is an RTT sample even when a SYN was resent, as the real
	// side's Linux takes it from the SYN-ACK's timestamp echo.
	SynTimestamps bool
	// FinishedFlight sets the simulator's tcp tls_finished_flight: the
	// client's Finished leads its first request's flight.
	FinishedFlight bool
	// SynAckTimer sets the simulator's tcp synack_timer: the server
	// resends its SYN-ACK on its own timer too, and one that resent it
	// twice starts with a one-segment window.
	SynAckTimer bool
	// SocketLog, when set, is a file the real side appends the kernel's
	// view of every TCP socket in the namespace to (ss -tin) twice a
	// second, each sample headed by the profile and the time.
	SocketLog string
	// CC is the TCP congestion control the real side's namespace uses
	// (net.ipv4.tcp_congestion_control, set in the namespace before the
	// first connection; "": DefaultCC).
	CC string
}

// DefaultCC is the congestion control the real side runs with unless told
// otherwise: Linux's own default, whatever the machine's is, so that a run
// does not depend on the host (net/ipv4/Kconfig, Kingxukai/linux
// 0291023e: the "Default TCP congestion control" choice defaults to
// DEFAULT_CUBIC, and DEFAULT_TCP_CONG falls back to "cubic"; BBR's
// TCP_CONG_BBR defaults to n).
const DefaultCC = "cubic"

// LegacyCC is the congestion control of saved runs that predate the
// choice (their rows name none): the default of the host they ran on,
// whose socket log shows bbr on every socket.
const LegacyCC = "bbr"

// ValidateCC checks a congestion control's name as the kernel takes it: 1
// to 15 lower-case letters, digits or underscores (TCP_CA_NAME_MAX is 16
// with the terminating zero). Whether this kernel has it is known only
// when the namespace sets it.
func ValidateCC(name string) error {
	if name == "" || len(name) > 15 || strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) >= 0 {
		return fmt.Errorf("congestion control %q: want a kernel's name for one, 1-15 characters of a-z, 0-9 and _ (such as cubic, reno, bbr)", name)
	}
	return nil
}

// Side is one side's figures for a profile.
type Side struct {
	N          int       `json:"n"`
	Failures   int       `json:"failures"`
	FailLo     float64   `json:"failure_ci_lo"`
	FailHi     float64   `json:"failure_ci_hi"`
	Token      []float64 `json:"token_ms"`   // sorted, successful logins
	Secrets    []float64 `json:"secrets_ms"` // sorted
	FailDetail []string  `json:"fail_detail,omitempty"`
	// Exchanges are the durations (ms, sorted) of the answered HTTP
	// exchanges of every login by kind (exchangeKind), ExchangeFails how
	// many of each kind got no answer.
	Exchanges     map[string][]float64 `json:"exchanges_ms,omitempty"`
	ExchangeFails map[string]int       `json:"exchange_fails,omitempty"`
}

// Row is one profile's comparison.
type Row struct {
	Profile Profile `json:"profile"`
	// CC is the congestion control the real side's sockets used, read
	// back from the server's listening socket ("" in runs saved before it
	// was set: they used the host's, LegacyCC).
	CC        string  `json:"cc,omitempty"`
	Real      Side    `json:"real"`
	Sim       Side    `json:"sim"`
	KSToken   float64 `json:"ks_token"`
	KSSecrets float64 `json:"ks_secrets"`
	// KSCritical is the 5% critical distance for the token samples' sizes.
	KSCritical float64 `json:"ks_critical"`
	// OffsetMillis is the real stack's overhead the simulator does not
	// model (the models' and the server's computing, the delay queue's
	// scheduling): the median real time to token less the simulated one on
	// the first loss-free profile (0 when there is none). KSShifted is the
	// token KS distance with every real time less that offset: the shape
	// of the loss recovery alone.
	OffsetMillis float64 `json:"offset_ms"`
	KSShifted    float64 `json:"ks_token_shifted"`
	// Harness is what the real side's hosts and shim cost, measured.
	Harness Harness `json:"harness"`
	// SimHarness is the simulator's side again with what is known of the
	// real side (SimConfig: the measured harness cost, the client Finished
	// apart), and the KS distances against it.
	SimHarness       Side    `json:"sim_harness"`
	KSTokenHarness   float64 `json:"ks_token_harness"`
	KSSecretsHarness float64 `json:"ks_secrets_harness"`
	// Packets are the real side's TCP packets per login by class (ctl:
	// SYN/FIN/RST; ack: no payload; small: up to 300 bytes of IP; data:
	// larger; each also "-lost": dropped by the loss rule); SimLost is the
	// simulator's lost packets per login.
	Packets map[string]float64 `json:"packets_per_login"`
	SimLost float64            `json:"sim_lost_per_login"`
}

// Harness is the real side's own cost, measured on it: the server's
// handling time per request, the two machines' Step time per request
// (their cryptography), requests per login, and how late the delay queue
// let packets through. KnobMillis is the simulator's server_ms set from
// them (server, Step and timer lateness, rounded); the shim's mean
// lateness goes in as jitter (SimConfig).
type Harness struct {
	ServerMillis     float64 `json:"server_ms_per_request"`
	StepMillis       float64 `json:"client_step_ms_per_request"`
	RequestsPerLogin float64 `json:"requests_per_login"`
	ShimLateMean     float64 `json:"shim_late_mean_ms"`
	ShimLateP99      float64 `json:"shim_late_p99_ms"`
	TimerLateMean    float64 `json:"timer_late_mean_ms"`
	KnobMillis       int64   `json:"sim_server_ms"`
	// HandshakeMillis is how long the real TLS handshake's round trip
	// would wait on pacing if bbr parted each flight's two segments
	// (handshakePacing; Options.HandshakePacing, off by default); 0 with a
	// congestion control that does not pace. Worked out from the profile,
	// the measured shim lateness and the congestion control each time the
	// simulator's side runs (also for saved runs, which lack it).
	HandshakeMillis float64 `json:"tls_handshake_ms"`
}

func (o *Options) defaults() {
	if o.Variant == "" {
		o.Variant = "msc4388"
	}
	if o.Profiles == nil {
		o.Profiles = DefaultProfiles()
	}
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.User == (Think{}) {
		o.User = FastUser()
	}
	if o.MSS == 0 {
		o.MSS = 1448
	}
	if o.CC == "" {
		o.CC = DefaultCC
	}
}

// Run runs the comparison. It must run inside a private network namespace
// (InNamespace; Reexec makes one).
func Run(ctx context.Context, opts Options) ([]Row, error) {
	opts.defaults()
	if opts.N < 1 {
		return nil, fmt.Errorf("N %d: at least one login per profile", opts.N)
	}
	if err := ValidateCC(opts.CC); err != nil {
		return nil, err
	}
	v, err := variant.Load(opts.Variant)
	if err != nil {
		return nil, err
	}
	sh, err := NewShaper()
	if err != nil {
		return nil, err
	}
	defer sh.Close()
	how, err := SetCC(opts.CC)
	if err != nil {
		return nil, err
	}
	if err := run([]string{"ip", "link", "set", "lo", "mtu", fmt.Sprint(opts.MSS + 52)}); err != nil {
		return nil, err
	}
	env, stop, err := startServer(ctx, v, opts)
	if err != nil {
		return nil, err
	}
	defer stop()
	cc := env.cc
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "congestion control %s (%s)\n", cc, how)
	}
	var rows []Row
	var offset medianOffset
	for _, p := range opts.Profiles {
		if err := sh.Set(p.LossPercent, time.Duration(p.RTTMillis)*time.Millisecond/2); err != nil {
			return rows, err
		}
		env.timing.take()
		stopLog, err := logSockets(ctx, opts.SocketLog, p.Name)
		if err != nil {
			return rows, err
		}
		real, outs, err := runRealSide(ctx, env, opts)
		stopLog()
		if err != nil {
			return rows, err
		}
		row, err := compare(v, p, opts, cc, real, outs, env, sh)
		if err != nil {
			return rows, err
		}
		offset.shift(&row)
		rows = append(rows, row)
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%s (%s): real %d/%d signed in, sim %d/%d, KS token %.3f (with the harness cost %.3f)\n", p.Name, cc,
				real.N-real.Failures, real.N, row.Sim.N-row.Sim.Failures, row.Sim.N, row.KSToken, row.KSTokenHarness)
		}
	}
	return rows, nil
}

// compare runs the simulator's side of profile p twice (the lab's hosts
// taking no time, then with the harness cost measured on the real side as
// server_ms) and fills a row with both comparisons and the real side's
// packet counts.
func compare(v variant.Variant, p Profile, opts Options, cc string, real Side, outs []Outcome, env *realEnv, sh *Shaper) (Row, error) {
	row := Row{Profile: p, CC: cc, Real: real, Packets: map[string]float64{}}
	counts, err := sh.Counts()
	if err != nil {
		return row, err
	}
	for k, c := range counts {
		row.Packets[k] = float64(c) / float64(len(outs))
	}
	late, p99, _ := sh.Late()
	nanos, handled := env.timing.take()
	var steps, reqs, tlate, timers int64
	for _, o := range outs {
		steps += o.StepNanos
		reqs += int64(o.Requests)
		tlate += o.TimerLateNanos
		timers += int64(o.Timers)
	}
	h := Harness{ShimLateMean: float64(late) / 1e6, ShimLateP99: float64(p99) / 1e6,
		RequestsPerLogin: float64(reqs) / float64(len(outs))}
	if handled > 0 {
		h.ServerMillis = float64(nanos) / float64(handled) / 1e6
	}
	if timers > 0 {
		h.TimerLateMean = float64(tlate) / float64(timers) / 1e6
	}
	if reqs > 0 {
		h.StepMillis = float64(steps) / float64(reqs) / 1e6
	}
	// Nearly every request follows a timer (a poll, a think time) or an
	// answer the client computes on, so the timers' lateness counts once
	// per exchange with the hosts' computing.
	h.KnobMillis = int64(math.Round(h.ServerMillis + h.StepMillis + h.TimerLateMean))
	row.Harness = h
	return row, simulate(v, opts, &row)
}

// simulate runs the simulator's side of row's profile twice (without and
// with row.Harness) and fills the row's simulated sides and distances
// against row.Real.
func simulate(v variant.Variant, opts Options, row *Row) error {
	var lost int
	var err error
	cc := row.CC
	if cc == "" {
		cc = LegacyCC
	}
	row.Harness.HandshakeMillis = 0
	if opts.HandshakePacing {
		row.Harness.HandshakeMillis = handshakePacing(cc, row.Profile, row.Harness.ShimLateMean)
	}
	real, h := row.Real, row.Harness
	if row.Sim, lost, err = runSimSide(v, row.Profile, opts, nil); err != nil {
		return err
	}
	row.SimLost = float64(lost) / float64(opts.N)
	if row.SimHarness, _, err = runSimSide(v, row.Profile, opts, &h); err != nil {
		return err
	}
	row.KSToken, row.KSSecrets = ksDistance(real.Token, row.Sim.Token), ksDistance(real.Secrets, row.Sim.Secrets)
	row.KSTokenHarness = ksDistance(real.Token, row.SimHarness.Token)
	row.KSSecretsHarness = ksDistance(real.Secrets, row.SimHarness.Secrets)
	row.KSCritical = ksCritical(len(real.Token), len(row.Sim.Token))
	return nil
}

// medianOffset is the difference of the real and simulated median times
// to token, taken from the first lossless row with tokens on both sides
// and applied to that row and every later one.
type medianOffset struct {
	millis float64
	set    bool
}

// shift fills row's offset and the KS distance of its real tokens shifted
// by it.
func (m *medianOffset) shift(row *Row) {
	real := row.Real
	if row.Profile.LossPercent == 0 && !m.set && len(real.Token) > 0 && len(row.Sim.Token) > 0 {
		m.millis, m.set = quantile(real.Token, 0.5)-quantile(row.Sim.Token, 0.5), true
	}
	row.OffsetMillis = m.millis
	shifted := make([]float64, len(real.Token))
	for i, x := range real.Token {
		shifted[i] = x - m.millis
	}
	row.KSShifted = ksDistance(shifted, row.Sim.Token)
}

// Resim runs the simulator's side again against the real side of rows (a
// saved Run, as simrun calibrate --json prints it), with opts' variant,
// seeds, user, segment size, loss recovery and RTO estimator, opts.N logins per profile
// (0: as many as the real side had), and returns the rows with the
// simulated sides and distances replaced. It needs no namespace: the real
// side is not run again.
func Resim(rows []Row, opts Options) ([]Row, error) {
	opts.defaults()
	v, err := variant.Load(opts.Variant)
	if err != nil {
		return nil, err
	}
	out := make([]Row, len(rows))
	var offset medianOffset
	for i, row := range rows {
		o := opts
		if o.N == 0 {
			o.N = row.Real.N
		}
		if o.N < 1 {
			return nil, fmt.Errorf("row %d (%s): no logins to simulate (its real side has n %d)", i, row.Profile.Name, row.Real.N)
		}
		if err := simulate(v, o, &row); err != nil {
			return nil, fmt.Errorf("row %d (%s): %w", i, row.Profile.Name, err)
		}
		offset.shift(&row)
		out[i] = row
	}
	return out, nil
}

// logSockets appends ss -tin's output to path twice a second, each
// sample headed "# profile unix-millis", until the returned stop is
// called (nothing when path is "").
func logSockets(ctx context.Context, path, profile string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	if _, err := exec.LookPath("ss"); err != nil {
		return nil, fmt.Errorf("socket log %s: ss (iproute2) is needed: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("socket log: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				out, err := exec.CommandContext(ctx, "ss", "-tinH").Output()
				if err != nil {
					continue
				}
				fmt.Fprintf(f, "# %s %d\n", profile, now.UnixMilli())
				f.Write(out)
			}
		}
	}()
	return func() {
		cancel()
		<-done
		f.Close()
	}, nil
}

// startServer serves the live server over TLS 1.3 on loopback.
func startServer(ctx context.Context, v variant.Variant, opts Options) (*realEnv, func(), error) {
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, nil, err
	}
	lc := net.ListenConfig{Control: ccControl(opts.CC)}
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	cc, err := socketCC(ln)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	base := "https://" + ln.Addr().String()
	srv, _, err := live.New(live.Options{Variant: v}, base)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13,
		NextProtos: []string{"http/1.1"}})
	timing := &serverTiming{}
	// simrun serve's limits (live.Serve), with the handler timed.
	hs := &http.Server{Handler: timing.wrap(srv), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(tln)
	}()
	stop := func() {
		hs.Close()
		<-done
		srv.Close()
	}
	hc, err := v.HomeserverConfig()
	if err != nil {
		stop()
		return nil, nil, err
	}
	id := srv.TestIdentity()
	var sec msg.Secrets
	copy(sec.CrossSigning.Master[:], id.Master.Seed())
	copy(sec.CrossSigning.SelfSigning[:], id.SelfSigning.Seed())
	copy(sec.CrossSigning.UserSigning[:], id.UserSigning.Seed())
	env := &realEnv{v: v, base: base, serverName: hc.ServerName, userID: srv.TestUserID(), token: live.TestAccessToken,
		secrets: sec, user: opts.User, limit: 5 * time.Minute, timing: timing, cc: cc, dial: ccControl(opts.CC),
		tlsConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}
	return env, stop, nil
}

// selfSigned makes a P-256 certificate for 127.0.0.1.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "qrlab calibration"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool, nil
}

// runRealSide runs opts.N real logins, opts.Parallel at a time.
func runRealSide(ctx context.Context, env *realEnv, opts Options) (Side, []Outcome, error) {
	outs := make([]Outcome, opts.N)
	errs := make([]error, opts.N)
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i := range opts.N {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outs[i], errs[i] = runReal(ctx, env)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return Side{}, nil, err
		}
	}
	return side(outs), outs, nil
}

// SimConfig is the simulator's configuration for profile p: the same
// variant, intent, user (think times uniform as Think says) and constant
// one-way delay and loss on every link,
// over the tcp transport with the real side's segment size and a full
// TLS 1.3 handshake per connection (the real clients keep no session
// cache), whose server flight is about one self-signed P-256 certificate.
//
// h, when not nil, is what is known of the real side beyond the profile:
// its measured harness cost, fed in as what it is (KnobMillis per exchange
// as the hosts' computing, server_ms; the delay queue's mean lateness as a
// uniform jitter on every packet of the same mean, jitterOfMean), its Go
// TLS, which sends the client Finished in a segment of its own
// (tls_client_finished), and, when asked, the handshake's wait on pacing
// (h.HandshakeMillis, tls_handshake_ms). The TLS flights' measured sizes
// (goClientHelloBytes, goServerFlightBytes: two segments each, not one)
// are not in it: the simulator recovers a loss among a handshake's
// segments otherwise than the real stack (section 5 of
// sim/transport-sources.md), and with them the distances at 2% and 8%
// grew; Options.GoTLSSizes sets them on both simulated sides.
func SimConfig(v variant.Variant, p Profile, u Think, mss int, h *Harness) sim.Config {
	user := sim.DefaultUser()
	c := func(ms int64) sim.Dist { return sim.Constant(float64(ms)) }
	th := func(ms int64) sim.Dist {
		if u.JitterMillis > 0 {
			return sim.Uniform(float64(ms), float64(ms+u.JitterMillis))
		}
		return c(ms)
	}
	user.Scan, user.TypeCode, user.Consent, user.Confirm, user.BrowserOpen = th(u.Scan), th(u.TypeCode), th(u.Consent), th(u.Confirm), th(u.BrowserOpen)
	user.BrowserRetryMillis, user.BrowserRetries = u.BrowserRetryMillis, u.BrowserRetries
	loss := float64(p.LossPercent) / 100
	k := sim.DefaultTCP()
	k.MSS, k.TLSResumption, k.TLSServerBytes = mss, "none", tlsServerFlightBytes
	link := sim.Link{Latency: c(p.RTTMillis / 2), LossUp: loss, LossDown: loss}
	if h != nil {
		k.ServerMillis, k.TLSClientFinished, link.JitterMillis = h.KnobMillis, true, jitterOfMean(h.ShimLateMean)
		k.TLSHandshakeMillis = int64(math.Round(h.HandshakeMillis))
	}
	return sim.Config{Variant: v, Intent: qr.Login, User: user,
		Network:   sim.Network{Name: p.Name, Link: link},
		Transport: sim.Transport{Kind: sim.TransportTCP, TCP: &k}}
}

// tlsServerFlightBytes is the plain simulator's estimate of Go's TLS 1.3
// server's first flight with a self-signed P-256 certificate (one
// segment), kept so that the plain side's figures stay comparable across
// runs; the real sockets sent goServerFlightBytes, which the side with
// what is known of the real side uses.
const tlsServerFlightBytes = 1000

// The real side's TLS flights as its sockets sent them (ss -tin's
// bytes_sent and data_segs_out in the idle run of the README, every
// profile, 1,448-byte MSS): Go's ClientHello, 1,455 bytes in 2 segments
// (go1.26.8's crypto/tls sends a key share for its first preferred curve,
// the hybrid X25519MLKEM768, 1,184 bytes of ML-KEM key and 32 of X25519,
// plus an X25519 fallback share: defaults.go defaultCurvePreferences,
// handshake_client.go, crypto/mlkem EncapsulationKeySize768), and its server's flight up to the first answer,
// 1,799 bytes in 2 (ServerHello with the ML-KEM ciphertext, certificate,
// Finished and the session ticket in one flush).
const (
	goClientHelloBytes  = 1455
	goServerFlightBytes = 1799
)

// jitterOfMean is the link jitter whose delays, as the simulator draws
// them (a uniform [0, J) added and the sum truncated to whole
// milliseconds), average mean: E[floor(U·J)] = Σ_{k=1..floor(J)} (1 −
// k/J), solved for J by bisection. Twice the mean, the jitter of a
// continuous uniform with that mean, would average far less once
// truncated (0.31 ms for a mean of 0.72).
func jitterOfMean(mean float64) float64 {
	if !(mean > 0) {
		return 0
	}
	avg := func(j float64) float64 {
		s := 0.0
		for k := 1.0; k <= j; k++ {
			s += 1 - k/j
		}
		return s
	}
	lo, hi := 0.0, 2*mean+2
	for range 60 {
		mid := (lo + hi) / 2
		if avg(mid) < mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// handshakePacing is how long a full TLS handshake of the real side would
// wait on pacing under congestion control cc at profile p, with the shim's
// mean lateness late (ms per packet), if the sender parted each flight's
// segments (Linux does not: TCP paces a connection only from its tenth
// data segment on, tcp_update_skb_after_send in net/ipv4/tcp_output.c,
// Kingxukai/linux 0291023e, so the handshake's flights leave unpaced and
// Options.HandshakePacing stays off by default): with bbr every segment after a
// full one would leave one segment's time later at BBR's initial pacing rate,
// startup gain × 0.99 × the initial window of 10 segments ÷ the first
// smoothed RTT (Linux net/ipv4/tcp_bbr.c bbr_init_pacing_rate_from_rtt,
// bbr_rate_bytes_per_sec, Kingxukai/linux 0291023e; the gain 739/256 =
// 2.88672 as ss shows it), so each of the two paced segments (the
// ClientHello's second and the server flight's second) waits SRTT ÷
// 28.58, the SRTT being the round trip and the shim's lateness both ways
// (1.82 ms at 50 ms: ss showed pacing rates of 6.3-6.4 Mbit/s, 1,448
// bytes in 1.8 ms; 7.1 ms at 200 ms, ss 1.6 Mbit/s). Other congestion
// controls are taken not to pace: BBR asks for it (bbr_init sets
// sk_pacing_status to SK_PACING_NEEDED, same file), and no fq qdisc sits
// on the namespace's loopback; that cubic and reno do not ask was not read
// in their sources (unverified): 0.
func handshakePacing(cc string, p Profile, late float64) float64 {
	if cc != "bbr" {
		return 0
	}
	const gain, margin, initCwnd = 739.0 / 256, 0.99, 10
	paced := 0
	for _, b := range []int{goClientHelloBytes, goServerFlightBytes} {
		paced += (b - 1) / 1448 // the segments after the first, each behind a full one
	}
	srtt := float64(p.RTTMillis) + 2*late
	return float64(paced) * srtt / (gain * margin * initCwnd)
}

// runSimSide runs opts.N seeds of p in the simulator, with what is known of
// the real side when h is not nil (see SimConfig), and returns the packets
// it lost in all.
func runSimSide(v variant.Variant, p Profile, opts Options, h *Harness) (Side, int, error) {
	cfg := SimConfig(v, p, opts.User, opts.MSS, h)
	if opts.LossRecovery != "" {
		cfg.Transport.TCP.LossRecovery = opts.LossRecovery
	}
	if opts.RTOEstimator != "" {
		cfg.Transport.TCP.RTOEstimator = opts.RTOEstimator
	}
	cfg.Transport.TCP.AckLoss = cfg.Transport.TCP.AckLoss || opts.AckLoss
	cfg.Transport.TCP.SynTimestamps = cfg.Transport.TCP.SynTimestamps || opts.SynTimestamps
	cfg.Transport.TCP.TLSFinishedFlight = cfg.Transport.TCP.TLSFinishedFlight || opts.FinishedFlight
	cfg.Transport.TCP.SynAckTimer = cfg.Transport.TCP.SynAckTimer || opts.SynAckTimer
	if opts.GoTLSSizes {
		cfg.Transport.TCP.TLSClientBytes, cfg.Transport.TCP.TLSServerBytes = goClientHelloBytes, goServerFlightBytes
	}
	cfg.KeepTrace = true
	r, err := sim.NewRunner(cfg)
	if err != nil {
		return Side{}, 0, err
	}
	outs := make([]Outcome, opts.N)
	lost := 0
	for i := range opts.N {
		res, err := r.Run(opts.Seed + uint64(i))
		if err != nil {
			return Side{}, 0, err
		}
		lost += res.Lost
		outs[i] = Outcome{OK: res.New.Success, TokenMillis: int64(res.SignedInMillis), SecretsMillis: int64(res.SecretsMillis),
			Detail: res.RootCause, Exchanges: simExchanges(r.Trace().Events)}
	}
	return side(outs), lost, nil
}

func side(outs []Outcome) Side {
	s := Side{N: len(outs)}
	for _, o := range outs {
		if !o.OK {
			s.Failures++
			s.FailDetail = append(s.FailDetail, o.Detail)
		}
		if o.TokenMillis >= 0 {
			s.Token = append(s.Token, float64(o.TokenMillis))
		}
		if o.SecretsMillis >= 0 {
			s.Secrets = append(s.Secrets, float64(o.SecretsMillis))
		}
	}
	slices.Sort(s.Token)
	slices.Sort(s.Secrets)
	s.Exchanges, s.ExchangeFails = exchangeSide(outs)
	s.FailLo, s.FailHi = wilson(s.Failures, s.N)
	return s
}

// WriteTable writes rows as a Markdown table.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| profile | n real | n sim | token p50 real / sim | token p90 real / sim | KS token (5% crit.) | KS token, real less offset | secrets p50 real / sim | KS secrets | failures real [95%] | failures sim [95%] | KS token / secrets, sim with the harness cost | token p50 / p90 sim with it |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	s := func(x float64) string {
		if math.IsNaN(x) {
			return "–"
		}
		return fmt.Sprintf("%.2f", x/1000)
	}
	for _, r := range rows {
		fmt.Fprintf(w, "| %s (%d%%, %d ms, %s) | %d | %d | %s / %s s | %s / %s s | %.3f (%.3f) | %.3f (%.0f ms) | %s / %s s | %.3f | %d (%.1f–%.1f%%) | %d (%.1f–%.1f%%) | %.3f / %.3f (%d ms) | %s / %s s |\n",
			r.Profile.Name, r.Profile.LossPercent, r.Profile.RTTMillis, ccName(r.CC), r.Real.N, r.Sim.N,
			s(quantile(r.Real.Token, 0.5)), s(quantile(r.Sim.Token, 0.5)), s(quantile(r.Real.Token, 0.9)), s(quantile(r.Sim.Token, 0.9)),
			r.KSToken, r.KSCritical, r.KSShifted, r.OffsetMillis, s(quantile(r.Real.Secrets, 0.5)), s(quantile(r.Sim.Secrets, 0.5)), r.KSSecrets,
			r.Real.Failures, 100*r.Real.FailLo, 100*r.Real.FailHi, r.Sim.Failures, 100*r.Sim.FailLo, 100*r.Sim.FailHi,
			r.KSTokenHarness, r.KSSecretsHarness, r.Harness.KnobMillis, s(quantile(r.SimHarness.Token, 0.5)), s(quantile(r.SimHarness.Token, 0.9)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| profile | server ms / request | client Step ms / request | requests / login | shim late mean / p99 ms | timers late mean ms | real packets / login: SYN-FIN-RST, no payload, ≤300 B, >300 B | real lost / login (same classes) | sim lost / login |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		h, pk := r.Harness, r.Packets
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.1f | %.2f / %.2f | %.2f | %.1f, %.1f, %.1f, %.1f | %.2f, %.2f, %.2f, %.2f | %.2f |\n", r.Profile.Name,
			h.ServerMillis, h.StepMillis, h.RequestsPerLogin, h.ShimLateMean, h.ShimLateP99, h.TimerLateMean,
			pk["ctl"], pk["ack"], pk["small"], pk["data"], pk["ctl-lost"], pk["ack-lost"], pk["small-lost"], pk["data-lost"], r.SimLost)
	}
}

// ccName is a row's congestion control as the tables print it.
func ccName(cc string) string {
	if cc == "" {
		return LegacyCC + ", the host's"
	}
	return cc
}

// WriteQuantiles writes each profile's token and secrets quantiles side by
// side.
func WriteQuantiles(w io.Writer, rows []Row) {
	qs := []float64{0.1, 0.25, 0.5, 0.75, 0.9, 0.99}
	for _, r := range rows {
		for _, m := range []struct {
			name      string
			real, sim []float64
		}{{"token", r.Real.Token, r.Sim.Token}, {"secrets", r.Real.Secrets, r.Sim.Secrets}} {
			fmt.Fprintf(w, "%s %s:", r.Profile.Name, m.name)
			for _, q := range qs {
				fmt.Fprintf(w, " p%g %.2f/%.2f", q*100, quantile(m.real, q)/1000, quantile(m.sim, q)/1000)
			}
			fmt.Fprintln(w, " s (real/sim)")
		}
		for _, d := range r.Real.FailDetail {
			fmt.Fprintf(w, "%s real failure: %s\n", r.Profile.Name, d)
		}
		for _, d := range r.Sim.FailDetail {
			fmt.Fprintf(w, "%s sim failure: %s\n", r.Profile.Name, d)
		}
	}
}

// serverTiming sums the wall time the server spends handling requests
// (from the request's headers read to the answer written to the TLS
// connection).
type serverTiming struct {
	mu    sync.Mutex
	nanos int64
	n     int64
}

func (t *serverTiming) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		t0 := time.Now()
		h.ServeHTTP(w, req)
		d := int64(time.Since(t0))
		t.mu.Lock()
		t.nanos += d
		t.n++
		t.mu.Unlock()
	})
}

// take returns the handling time and requests since the last take.
func (t *serverTiming) take() (nanos, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	nanos, n = t.nanos, t.n
	t.nanos, t.n = 0, 0
	return nanos, n
}
