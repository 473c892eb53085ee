package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"unsafe"

	"qrlab/model/channel"
	"qrlab/model/homeserver"
	"qrlab/model/login"
	"qrlab/model/msg"
	"qrlab/model/oauth"
	"qrlab/model/qr"
	"qrlab/model/rendezvous"
	"qrlab/model/variant"
	"qrlab/model/wire"
)

// Millis is virtual time in milliseconds since the run's start.
type Millis = wire.Millis

// The world's fixed names: one homeserver, one account, one existing device.
const (
	BaseURL         = rendezvous.DefaultBaseURL
	AliceID         = "@alice:lab.example"
	MalloryID       = "@mallory:lab.example"
	existingDevice  = "EXISTINGDEVICE"
	existingToken   = "syt_existing_device_token"
	malloryDevice   = "MALLORYDEVICE"
	malloryToken    = "syt_mallory_device_token"
	browserIdentity = "browser-of-existing-device"
)

// Config is everything a run needs besides its seed. The zero value of each
// part is replaced by its default (DefaultUser, the 4g profile, ...).
type Config struct {
	// Variant is the design both devices follow.
	Variant variant.Variant
	// NewVariant, when set, is the new device's own variant (mixing
	// shipped clients shows their incompatibilities).
	NewVariant *variant.Variant
	// Intent is qr.Login when the new device shows the QR code and
	// qr.Reciprocate when the existing device does.
	Intent qr.Intent
	// Network is the virtual network (Prepare is called on a copy).
	Network Network
	// User is the person holding both devices.
	User User
	// Swarm, when set, makes every seed draw its own faults and then heal.
	Swarm *Swarm
	// Backup gives the account a key backup that the secrets carry.
	Backup bool
	// MaxSteps and MaxMillis bound a run (0: 1,000,000 steps; the
	// termination bound plus a minute).
	MaxSteps  int
	MaxMillis Millis
	// TerminationMillis is the termination invariant's bound: both devices
	// must have ended by then (0: the rendezvous TTL plus the device code's
	// lifetime plus two minutes, after the heal in swarm mode).
	TerminationMillis Millis
	// KeepTrace keeps every event of the run for export; the trace hash is
	// computed either way.
	KeepTrace bool
	// Adversaries names the attackers of every run (AdversaryNames).
	Adversaries []string
	// Transport is how HTTP crosses the links (zero: tcp, or datagram in
	// swarm mode; see TransportKind).
	Transport Transport
}

// Limits on swarm bounds (NewRunner refuses more).
const (
	maxSwarmPartitions = 1000
	maxSwarmMillis     = 24 * 3600 * 1000
)

// Runner runs simulations of one Config, one seed at a time, reusing its
// buffers: a run allocates nothing that outlives it. It is not safe for
// concurrent use; run one Runner per goroutine.
type Runner struct {
	cfg     Config
	nv      variant.Variant
	rc      rendezvous.Config
	oc      oauth.Config
	ocPrep  *oauth.Prepared // oc prepared (at the first run, after the adversaries configured it)
	hc      homeserver.Config
	termMax Millis

	q     queue
	tr    Trace
	names nameCache
	ex    []exchange
	// resps is the answers log: each answer is written once, when it is
	// sent, and only read after (snapshots share it).
	resps []*arrival
	// reqs[i] is where exchange i's request was kept in the last run no
	// snapshot shared: a later run writes its request there instead of
	// allocating (send).
	reqs []*login.Request
	// readMemos remember how the last mailbox answer each reader read
	// began (the new device, the existing device, the monitors), for every
	// run: a cache of a pure function of the bytes, outside the run's
	// state (rendezvous.ReadMemo).
	readMemos [3]rendezvous.ReadMemo
	fx        []oauth.Effect
	rfx       []rendezvous.Effect
	hfx       []homeserver.Effect

	r *run
	// pendBuf is conservation's scratch.
	pendBuf []int32
	// unchecked, in benchmarks, runs without the monitors' observations
	// (the tap, the wire, the servers' logs, the conservation laws), to
	// measure what checking costs.
	unchecked bool
	// adversaries are the scenario's attackers, made once per runner and
	// reset at each run's start.
	adversaries []adversary
	needMallory bool
	// alice and aliceKeys: the account's identity and its public
	// cross-signing keys as the homeserver checked them (see identity).
	alice     *homeserver.Identity
	aliceKeys *homeserver.CrossSigningKeys
	// hook, in tests, may change a rendezvous exchange after the store
	// handled it and before the monitors see it (a broken store).
	hook func(w *run, x *exchange, resp *rendezvous.Response)
	// tp is the tcp transport's state (nil: datagram).
	tp *tcpState
	// cost measures what the run costs the rendezvous store.
	cost costMeter
	// st is a stepped run's state (step.go); canon its encoder
	// (fingerprint.go); cp the snapshots' copier (snapshot.go); ps the
	// plans of both (plan.go).
	st    stepState
	canon canon
	cp    copier
	ps    plans
	// fph is the fingerprint's hash and fpc its cached part hashes
	// (fingerprint.go).
	fph     fpHash
	fpc     fpCache
	fpKeyed bool
	// restOps, monOps and monRest are the encoding steps of the run's
	// fields outside the kept hashes, of each monitors' group, and of the
	// monitors' fields outside the groups (restPlan; nil: to be worked
	// out from the plans in use).
	restOps []fpOp
	// noBudgets: the fingerprint leaves the fault budgets spent out
	// (FingerprintBudgets).
	noBudgets bool
	monOps    [numMonGroups][]fpOp
	monRest   []fpOp
	// exSent and exRest are an exchange's encoding steps (exchangeOps),
	// side the encoder of the hashes kept with exchanges and answers.
	exSent, exRest []fpOp
	side           canon
	// sideBytes counts what side encoded since the last fingerprint.
	sideBytes int
	// base[i] is the frozen copy of part i (fingerprint.go) the live part
	// equals, untouched since (nil: none).
	base [numParts]*frozenPart
	// monBase[g] is the frozen copy of the monitors' group g
	// (snapshot_groups.go) the live group equals, untouched since (nil:
	// none); monStash holds the live groups a restore leaves alone.
	monBase  [numMonGroups]unsafe.Pointer
	monStash monitor
	// restoreScratch is the scratch of Snapshot (the live state) and
	// Restore (the snapshot's state and its copy).
	restoreScratch [2]runState
	// spare are snapshots handed back for reuse (Recycle).
	spare []*Snapshot
	// net is the network of the run (run.net), outside its state: the
	// configuration's, changed only by a swarm.
	net Network
	// respsShared: snapshots may hold resps' array (snapshot.go).
	respsShared bool
	// psExact are the plans of FingerprintExact.
	psExact plans
	// noLabels: Enabled's choices carry no Label (LabelChoices).
	noLabels bool
	// noTraceHash: runs hash no trace (HashTrace).
	noTraceHash bool
	// hsMemo is the homeserver's memo of verifications (MemoCrypto; nil:
	// none), outside the run's state (plan.go: opaque).
	hsMemo *homeserver.VerifyMemo
	// signMemo is the new device's memo of signatures (MemoCrypto; nil:
	// none), in its configuration.
	signMemo *homeserver.SignMemo
}

// exchange is one HTTP request and its fate.
type exchange struct {
	// owner is the adversary that sent the request (nil: a machine or a
	// browser).
	owner  adversary
	client Actor
	server Actor
	link   LinkID
	// req is never written once sent: snapshots share it (sharedNames).
	req   *login.Request
	name  string // "METHOD path", the request's name in the trace
	form  []byte // a browser's posted form
	done  bool   // answered or timed out: later answers are dropped
	tries int    // browser reloads so far
	// extraDelay holds the answer back (a malicious server's delay).
	extraDelay Millis
	// The simulator's own ledger (conservation.go): deliveries of the
	// request scheduled and served, answers sent and arrived, and how many
	// times the exchange ended by an answer or by its timeout.
	deliveries, served, answers, arrived, answered, timedOut int32
	// sentH is the fingerprint's hash of the fields set when the request
	// is sent (exchangeSent), worked out at the first fingerprint that
	// meets the exchange (zero: not yet; fingerprint.go).
	sentH Fingerprint
}

// arrival is one answer on its way back.
type arrival struct {
	resp login.Response
	page oauth.Page
	// read is the session payload the answer carries, as the monitors
	// saw the store answer it (none when an adversary may change it).
	read readRef
	// corrupt: the camera corrupted the payload the answer carries; the
	// client is handed it when the answer arrives (checkers_camera.go).
	corrupt bool
	// h is the fingerprint's hash of the answer, worked out at the first
	// fingerprint that meets it (zero: not yet; fingerprint.go).
	h Fingerprint
}

// ErrConfig is wrapped by every error NewRunner returns.
var ErrConfig = errors.New("invalid simulation")

// NewRunner checks cfg and prepares its servers' configurations.
func NewRunner(cfg Config) (*Runner, error) {
	if cfg.Intent == 0 {
		cfg.Intent = qr.Login
	}
	if cfg.Intent != qr.Login && cfg.Intent != qr.Reciprocate {
		return nil, fmt.Errorf("%w: intent %d is neither login nor reciprocate", ErrConfig, cfg.Intent)
	}
	if cfg.Network.Name == "" && cfg.Network.Link.Latency.Kind == "" {
		n, err := ProfileFor(cfg.TransportKind(), DefaultNetwork)
		if err != nil {
			return nil, err
		}
		cfg.Network = n
	}
	cfg.Network.Partitions = append([]Partition(nil), cfg.Network.Partitions...)
	if err := cfg.Network.Prepare(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.User.Scan.Kind == "" {
		cfg.User = DefaultUser()
	}
	if err := cfg.User.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := cfg.Variant.Validate(); err != nil {
		return nil, fmt.Errorf("%w: variant: %w", ErrConfig, err)
	}
	r := &Runner{cfg: cfg, nv: cfg.Variant}
	if err := r.prepareTransport(); err != nil {
		return nil, err
	}
	if cfg.NewVariant != nil {
		if err := cfg.NewVariant.Validate(); err != nil {
			return nil, fmt.Errorf("%w: new device's variant: %w", ErrConfig, err)
		}
		r.nv = *cfg.NewVariant
	}
	var err error
	if r.rc, err = cfg.Variant.RendezvousConfig(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	r.rc.BaseURL = BaseURL
	if r.oc, err = cfg.Variant.OAuthConfig(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if r.hc, err = cfg.Variant.HomeserverConfig(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s := cfg.Swarm; s != nil {
		if s.MaxLoss < 0 || s.MaxLoss > 1 || s.MaxDuplicate < 0 || s.MaxDuplicate > 1 || s.MaxReorder < 0 || s.MaxReorder > 1 ||
			s.MaxPartitions < 0 || s.MaxPartitionMs < 0 || s.FaultyMillis < 0 || s.LivenessMillis <= 0 {
			return nil, fmt.Errorf("%w: swarm bounds: probabilities in [0, 1], times and counts not negative, liveness_ms positive", ErrConfig)
		}
		// Bounds that would make one run take minutes of real time, or
		// ones a 32-bit count cannot hold, are refused.
		if s.MaxPartitions > maxSwarmPartitions || s.FaultyMillis > maxSwarmMillis || s.LivenessMillis > maxSwarmMillis ||
			s.MaxPartitionMs > maxSwarmMillis {
			return nil, fmt.Errorf("%w: swarm bounds: at most %d partitions, and faulty_ms, liveness_ms and max_partition_ms at most %d (a day)",
				ErrConfig, maxSwarmPartitions, maxSwarmMillis)
		}
	}
	r.termMax = cfg.TerminationMillis
	if r.termMax == 0 {
		r.termMax = Millis(r.rc.TTL) + r.oc.ExpiresIn + 120_000
		if cfg.Swarm != nil {
			r.termMax = Millis(cfg.Swarm.FaultyMillis) + max(r.termMax, Millis(cfg.Swarm.LivenessMillis))
		}
	}
	if r.cfg.MaxMillis == 0 {
		r.cfg.MaxMillis = r.termMax + 60_000
	}
	if r.cfg.MaxSteps == 0 {
		r.cfg.MaxSteps = 1_000_000
	}
	if r.adversaries, err = makeAdversaries(&r.cfg); err != nil {
		return nil, err
	}
	for _, a := range r.adversaries {
		if _, ok := a.(*shoulderSurfer); ok {
			r.needMallory = true
		}
		a.configure(r)
	}
	r.r = &run{}
	return r, nil
}

// Config returns the runner's configuration with its defaults filled in.
func (r *Runner) Config() Config { return r.cfg }

// Trace returns the last run's trace (its events if KeepTrace was set).
func (r *Runner) Trace() *Trace { return &r.tr }

// The random streams of a run, each derived from the seed and its label so
// that adding draws to one actor never shifts another's. Every label is in
// this one list and in streamLabels, whose test checks that no two streams
// share one.
const (
	streamNetwork uint64 = iota + 1
	streamUser
	streamStore
	streamOP
	streamIdentity
	streamBackup
	streamNew
	streamExisting
	streamSwarm
	streamAdversary
	streamAttacker
	// streamFingerprint keys the fingerprint's hash (fphash.go) unless
	// the stepped run is given a key.
	streamFingerprint

	// The tcp transport's streams, so that a TCP knob never shifts the
	// draws of the user, the devices or the datagram network. Handovers
	// have one stream per device (numDevices of them from
	// streamHandover), so that a device's handover times do not depend on
	// the traffic; burst loss has its own, so that turning it on shifts
	// no other draw.
	streamTransport uint64 = 40
	streamHandover  uint64 = 41 // and 42, 43: one per device
	streamBurst     uint64 = 44

	// streamMallory is the attacker's account identity (its keys).
	streamMallory = streamAttacker + 100
)

// streamLabel is a stream's label and the name derive's callers use.
type streamLabel struct {
	name  string
	label uint64
}

// streamLabels lists every stream a run derives, one per device for the
// handovers.
func streamLabels() []streamLabel {
	out := []streamLabel{{"streamNetwork", streamNetwork}, {"streamUser", streamUser}, {"streamStore", streamStore},
		{"streamOP", streamOP}, {"streamIdentity", streamIdentity}, {"streamBackup", streamBackup}, {"streamNew", streamNew},
		{"streamExisting", streamExisting}, {"streamSwarm", streamSwarm}, {"streamAdversary", streamAdversary},
		{"streamAttacker", streamAttacker}, {"streamFingerprint", streamFingerprint}, {"streamMallory", streamMallory}, {"streamTransport", streamTransport},
		{"streamBurst", streamBurst}}
	for d := range numDevices {
		out = append(out, streamLabel{"streamHandover", streamHandover + uint64(d)})
	}
	return out
}

// derive returns the stream label of seed.
func derive(seed, label uint64) *rand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[0:], seed)
	binary.LittleEndian.PutUint64(s[8:], label)
	copy(s[16:], "qrlab sim stream")
	return rand.NewChaCha8(s)
}

// run is the state of one simulated login.
type run struct {
	seed uint64
	now  Millis
	// net is the run's network, the runner's (Runner.net): the
	// configuration's, or in swarm mode the seed's faults and the heal;
	// the same in every state of a stepped run, which has no swarm.
	net     *Network
	netRand *rand.Rand
	usrRand *rand.Rand
	healed  bool
	faults  *Faults
	// tokenBreaks counts the token answers whose connection broke
	// (Connections.TokenAnswerBreaks).
	tokenBreaks int

	store *rendezvous.Store
	op    *oauth.Server
	hs    *homeserver.Server
	n     *login.NewDevice
	e     *login.ExistingDevice
	// m holds the machines by machineIndex: N, E and an attacker's device
	// (nil when no adversary brings one).
	m    [numMachines]machine
	dead [numMachines]map[uint64]bool
	// adv are the run's adversaries; atkBrowser is the attacker's own
	// browser session at the provider.
	adv []adversary

	// What the user knows and decided.
	shownCode         string
	codeShown, asked  bool
	codeG             Actor // the device the code is typed on (G)
	userCode          string
	deny, browserFail bool
	rejectAccount     bool
	typo              bool
	// refuseAt is the confirm step the user refuses at in this run
	// (User.RefuseAt; "" none).
	refuseAt string
	// awaitCode is the browser's code form waiting for a user code the new
	// device has not shown yet; consentReturned says the user already went
	// back to the existing device.
	awaitCode       string
	consentReturned bool
	gaveUp          bool
	// blind: this user types any code put before them (the scenario's
	// blind-confirm rate); blindCode: the code they typed was the
	// attacker's. atkSecrets: the attacker's device opened the secrets.
	blind, blindCode bool
	// unreadCode: a check code the user's own device did not show, which
	// a careless stepped run's user may type once G asks (step_user.go).
	unreadCode string
	// blindAccount: the user confirmed an account that is not theirs.
	blindAccount bool
	// newIsAttacker: the new device is the attacker's (remote phishing,
	// session spawning); newScreenHidden: its screen is not the victim's.
	newIsAttacker, newScreenHidden bool
	// lure is an attacker's verification URI the victim's browser goes to
	// instead of the one the existing device opened (lureCode its user
	// code); unverified: the user consented without a code to compare.
	lure, lureCode string
	unverified     bool
	// exposure says why an attacker's win is not a protocol violation;
	// atkToken: an attacker's own grant got a token for the victim.
	exposure       string
	atkToken       bool
	atkSecrets     bool
	mallorySecrets msg.Secrets

	// user is the person's record: what the screens showed, what they did.
	user UserRecord

	mon monitor
	res Result
}

// Run simulates one login with seed. The returned error is for a broken
// environment only (a model constructor refusing the prepared
// configuration); protocol failures and invariant violations are in the
// Result.
func (r *Runner) Run(seed uint64) (Result, error) {
	// An ordinary run inherits nothing of a stepped run on the same runner
	// (its budgets, the careless user): only the transition hook stays.
	r.st = stepState{transition: r.st.transition}
	if err := r.begin(seed); err != nil {
		return r.r.res, err
	}
	w := r.r
	steps := 0
	for ; steps < r.cfg.MaxSteps && r.q.len() > 0; steps++ {
		if w.n.State().Terminal() && w.e.State().Terminal() {
			break
		}
		if w.res.Violation != nil {
			break
		}
		ev := r.q.pop()
		if ev.at > r.cfg.MaxMillis {
			r.q.push(ev)
			break
		}
		if ev.at < w.now {
			w.mon.violate(w, InvSimulator, "event %d at %d ms popped after time %d ms: an event before its cause", ev.kind, ev.at, w.now)
			break
		}
		w.now = ev.at
		r.dispatch(w, &ev)
	}
	return r.end(steps), nil
}

// begin prepares the run of seed: its streams, servers, machines,
// adversaries and first events, everything before the first event is
// popped.
func (r *Runner) begin(seed uint64) error {
	w := r.r
	*w = run{seed: seed, dead: w.dead, adv: w.adv[:0], user: UserRecord{Acts: w.user.Acts[:0]}}
	r.fpc.valid, r.fpKeyed, r.base, r.monBase = 0, false, [numParts]*frozenPart{}, [numMonGroups]unsafe.Pointer{}
	for i := range w.dead {
		if w.dead[i] == nil {
			w.dead[i] = map[uint64]bool{}
		}
		clear(w.dead[i])
	}
	r.q.reset()
	r.tr.reset(r.cfg.KeepTrace, !r.noTraceHash)
	clear(r.ex)
	r.ex = r.ex[:0]
	r.names.newRun()
	if r.respsShared {
		// Snapshots keep the answers' array (snapshot.go), and the
		// requests (sharedNames).
		r.resps, r.reqs, r.respsShared = nil, nil, false
	}
	// The answers of the last run are written over (logAnswer).
	r.resps = r.resps[:0]

	r.net = r.cfg.Network
	w.net = &r.net
	w.netRand = rand.New(derive(seed, streamNetwork))
	w.usrRand = rand.New(derive(seed, streamUser))
	r.startTransport(seed)
	w.res = Result{Seed: seed, Variant: r.cfg.Variant.Name, Network: w.net.Name, Intent: r.cfg.Intent.String(),
		SignedInMillis: -1, SecretsMillis: -1, Adversaries: r.cfg.Adversaries}
	if sw := r.cfg.Swarm; sw != nil {
		f := sw.draw(rand.New(derive(seed, streamSwarm)))
		w.faults = &f
		w.res.Faults = f.String()
		r.net = swarmNetwork(r.net, f)
		r.q.push(event{at: f.HealAt, kind: evFault, text: "heal"})
	}
	for _, p := range w.net.Partitions {
		r.q.push(event{at: Millis(p.FromMillis), kind: evFault, text: "partition " + strings.Join(p.Links, "+") + " begins"})
		r.q.push(event{at: Millis(p.ToMillis), kind: evFault, text: "partition " + strings.Join(p.Links, "+") + " ends"})
	}
	if err := r.build(w); err != nil {
		return err
	}
	for _, a := range r.adversaries {
		w.adv = append(w.adv, a)
		a.start(r, w)
	}
	r.q.push(event{at: 0, kind: evStart, actor: ActorNew})
	r.q.push(event{at: 0, kind: evStart, actor: ActorExisting})
	r.drawUser(w)
	return nil
}

// end closes the run after steps events: the end-of-run checks and the
// result.
func (r *Runner) end(steps int) Result {
	w := r.r
	w.res.Steps = steps
	r.finish(w)
	if !w.res.Success() {
		w.res.RootCause = r.tr.causes.first()
	}
	w.res.Phases, w.res.RequestKinds = new(r.tr.obs.ph), new(r.tr.obs.kinds)
	w.res.StoreCost = new(r.cost.close(w.now))
	return w.res
}

// swarmNetwork applies a seed's faults to every link of n.
func swarmNetwork(n Network, f Faults) Network {
	out := n
	for i := range out.links {
		l := out.links[i]
		l.LossUp, l.LossDown = max(l.LossUp, f.Loss), max(l.LossDown, f.Loss)
		l.Duplicate = max(l.Duplicate, f.Duplicate)
		l.Reorder = max(l.Reorder, f.Reorder)
		out.links[i] = l
	}
	out.Partitions = append(append([]Partition(nil), n.Partitions...), f.Partitions...)
	for i := range out.Partitions {
		p := &out.Partitions[i]
		p.mask = 0
		for _, s := range p.Links {
			if s == "all" {
				p.mask = 1<<numLinks - 1
				continue
			}
			if id, err := ParseLink(s); err == nil {
				p.mask |= 1 << id
			}
		}
	}
	return out
}

// build makes the run's servers, identity and machines.
func (r *Runner) build(w *run) error {
	var err error
	if w.store, err = rendezvous.New(r.rc, 0, derive(w.seed, streamStore)); err != nil {
		return fmt.Errorf("rendezvous store: %w", err)
	}
	r.cost.reset(r.rc.NoExpiry)
	if r.ocPrep == nil {
		// The provider's configuration is the same in every run: checked,
		// and its metadata document and error bodies made, once.
		if r.ocPrep, err = oauth.Prepare(r.oc); err != nil {
			return fmt.Errorf("provider: %w", err)
		}
	}
	if w.op, err = r.ocPrep.New(derive(w.seed, streamOP)); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	if w.hs, err = homeserver.New(r.hc, w.op); err != nil {
		return fmt.Errorf("homeserver: %w", err)
	}
	w.hs.UseMemo(r.hsMemo)
	alice, err := r.identity()
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	w.hs.SetCheckedCrossSigningKeys(r.aliceKeys)
	w.hs.AddDevice(0, AliceID, existingDevice, existingToken)
	var sec msg.Secrets
	copy(sec.CrossSigning.Master[:], alice.Master.Seed())
	copy(sec.CrossSigning.SelfSigning[:], alice.SelfSigning.Seed())
	copy(sec.CrossSigning.UserSigning[:], alice.UserSigning.Seed())
	if r.cfg.Backup {
		key, version, err := w.hs.CreateBackup(AliceID, derive(w.seed, streamBackup))
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		sec.Backup = &msg.Backup{Key: key, Version: version}
	}
	if r.needMallory {
		mallory, err := homeserver.NewIdentity(MalloryID, derive(w.seed, streamMallory))
		if err != nil {
			return fmt.Errorf("attacker identity: %w", err)
		}
		if err := w.hs.AddIdentity(mallory); err != nil {
			return fmt.Errorf("attacker identity: %w", err)
		}
		w.hs.AddDevice(0, MalloryID, malloryDevice, malloryToken)
		copy(w.mallorySecrets.CrossSigning.Master[:], mallory.Master.Seed())
		copy(w.mallorySecrets.CrossSigning.SelfSigning[:], mallory.SelfSigning.Seed())
		copy(w.mallorySecrets.CrossSigning.UserSigning[:], mallory.UserSigning.Seed())
	}
	eIntent := qr.Reciprocate
	if r.cfg.Intent == qr.Login {
		eIntent = qr.Login
	}
	ecfg := login.ExistingDeviceConfig{Variant: r.cfg.Variant, Intent: eIntent, BaseURL: BaseURL,
		ServerName: r.hc.ServerName, AccessToken: existingToken, Secrets: sec}
	ncfg := login.NewDeviceConfig{Variant: r.nv, Intent: r.cfg.Intent, RendezvousBaseURL: BaseURL,
		ServerNames: map[string]string{r.hc.ServerName: BaseURL}, ExpectedUserID: AliceID,
		// The account's self-signing key is derived once per Runner: its
		// seed, which m.login.secrets brings, is the same in every run.
		KnownKeys: []*homeserver.SigningKey{alice.SelfSigning}, ReadMemo: &r.readMemos[0],
		SignMemo: r.signMemo}
	ecfg.ReadMemo = &r.readMemos[1]
	if !r.unchecked {
		ecfg.ChannelObserver = func(s channel.Sealing) { w.mon.sealed(w, ActorExisting, s) }
		ncfg.ChannelObserver = func(s channel.Sealing) { w.mon.sealed(w, ActorNew, s) }
		ecfg.ChannelOpenObserver = func(o channel.Opening) { w.mon.opened(w, ActorExisting, o) }
		ncfg.ChannelOpenObserver = func(o channel.Opening) { w.mon.opened(w, ActorNew, o) }
	}
	w.e, err = login.NewExistingDevice(ecfg, derive(w.seed, streamExisting))
	if err != nil {
		return fmt.Errorf("existing device: %w", err)
	}
	for _, a := range r.adversaries {
		a.newDevice(r, w, &ncfg)
	}
	w.n, err = login.NewNewDevice(ncfg, derive(w.seed, streamNew))
	if err != nil {
		return fmt.Errorf("new device: %w", err)
	}
	w.m[0], w.m[1], w.m[2] = w.n, w.e, nil
	w.mon.reset(r, w, sec)
	return nil
}

// identity is the account's cross-signing identity. The account exists
// before any login, so it is the scenario's, not the run's: drawn once per
// Runner from a fixed stream, and its signed key documents checked once
// per Runner by the homeserver's own check (the self-signing and
// user-signing keys' signatures by the master key). Each run's homeserver
// stores the checked keys: those two verifications have the same key, the
// same bytes and so the same answer in every run. What a run uploads (the
// new device's keys and their signatures) is still checked in the run.
func (r *Runner) identity() (*homeserver.Identity, error) {
	if r.alice != nil {
		return r.alice, nil
	}
	id, err := homeserver.NewIdentity(AliceID, derive(0, streamIdentity))
	if err != nil {
		return nil, err
	}
	keys, err := homeserver.CheckCrossSigningKeys(AliceID, id.MasterKeyJSON(), id.SelfSigningKeyJSON(), id.UserSigningKeyJSON())
	if err != nil {
		return nil, err
	}
	r.alice, r.aliceKeys = id, keys
	return id, nil
}

// drawUser decides, from the user's stream, what goes wrong in this run.
func (r *Runner) drawUser(w *run) {
	u := &r.cfg.User
	rr := w.usrRand
	w.typo = u.TypoRate > 0 && rr.Float64() < u.TypoRate
	w.deny = u.DenyRate > 0 && rr.Float64() < u.DenyRate
	w.browserFail = u.BrowserFailRate > 0 && rr.Float64() < u.BrowserFailRate
	w.rejectAccount = u.RejectAccountRate > 0 && rr.Float64() < u.RejectAccountRate
	w.blind = u.BlindConfirmRate > 0 && rr.Float64() < u.BlindConfirmRate
	if u.CancelRate > 0 && rr.Float64() < u.CancelRate {
		who := ActorNew
		if rr.IntN(2) == 1 {
			who = ActorExisting
		}
		r.q.push(event{at: u.CancelAt.Sample(rr), kind: evCancel, actor: who})
	}
	if u.RefuseRate > 0 && rr.Float64() < u.RefuseRate {
		w.refuseAt = u.RefuseAt
		if w.refuseAt == RefuseAny || w.refuseAt == "" {
			w.refuseAt = refuseSteps[rr.IntN(len(refuseSteps))]
		}
		switch w.refuseAt {
		case RefuseConsent:
			w.deny = true
		case RefuseAccount:
			w.rejectAccount = true
		}
	}
}

// dispatch handles one event.
func (r *Runner) dispatch(w *run, ev *event) {
	switch ev.kind {
	case evStart:
		r.step(w, ev.actor, login.Input{Kind: login.InputStart})
	case evTimer:
		if w.dead[machineIndex(ev.actor)][ev.id] {
			delete(w.dead[machineIndex(ev.actor)], ev.id)
			return
		}
		r.tr.add(Event{At: w.now, Kind: EvTimer, Actor: ev.actor})
		r.step(w, ev.actor, login.Input{Kind: login.InputTimer, ID: ev.id})
	case evReqArrive:
		r.serve(w, ev.id)
	case evRespArrive:
		r.arrive(w, ev)
	case evTimeout:
		x := &r.ex[ev.id]
		if x.done {
			return
		}
		x.done = true
		detail := "timeout"
		if ev.text != "" {
			detail = ev.text // a transport error
		}
		x.timedOut++
		r.tr.add(Event{At: w.now, Kind: EvRecv, Actor: x.client, Peer: x.server, Name: x.name,
			Detail: detail})
		if x.owner != nil {
			x.owner.answer(r, w, x, &arrival{})
			return
		}
		if x.client == ActorBrowser || x.client == ActorAttackerBrowser {
			r.browserTimeout(w, ev.id)
			return
		}
		fail := login.FailureTimeout
		if ev.text != "" {
			fail = login.FailureTransport
		}
		r.step(w, x.client, login.Input{Kind: login.InputResponse, ID: x.req.ID, Response: login.Response{Failure: fail}})
	case evExpire:
		r.expireNow(w, ev)
	case evScanned:
		who := ActorUser
		if ev.actor == ActorAttacker {
			who = ActorAttacker
		}
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: who, Peer: ev.actor, Name: "scans the QR code"})
		data := ev.data
		if who == ActorUser {
			for _, a := range w.adv {
				data = a.scan(r, w, ev.actor, data)
			}
		}
		r.step(w, ev.actor, login.Input{Kind: login.InputScanned, Data: data})
	case evTypeCode:
		if ev.ok {
			// A careless stepped run's user who does not type a code
			// their own device did not show (step_user.go).
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ev.actor, Name: "does not type check code " + ev.text + ": not from their device"})
			return
		}
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ev.actor, Name: "types check code " + ev.text})
		w.user.add(Act{At: w.now, Kind: ActTypedCode, Device: ev.actor, Text: ev.text})
		r.step(w, ev.actor, login.Input{Kind: login.InputCheckCode, Text: ev.text})
	case evBrowserOpened:
		if !ev.ok {
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorBrowser, Peer: ActorExisting, Name: "cannot open the verification URI"})
			w.user.add(Act{At: w.now, Kind: ActBrowserFailed, Device: ActorExisting})
			r.step(w, ActorExisting, login.Input{Kind: login.InputBrowserFailed})
			return
		}
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorBrowser, Peer: ActorExisting, Name: "opened"})
		w.user.add(Act{At: w.now, Kind: ActBrowserOpened, Device: ActorExisting, OK: true})
		r.step(w, ActorExisting, login.Input{Kind: login.InputBrowserOpened})
		uri := ev.text
		if w.lure != "" {
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "follows the attacker's link " + w.lure})
			uri = w.lure
		}
		// The user reads the page and acts on it.
		r.q.push(event{at: w.now + r.cfg.User.Consent.Sample(w.usrRand), kind: evBrowse, text: uri})
	case evBrowse:
		r.browse(w, ActorBrowser, ev.text, ev.data, 0)
	case evConsentReturn:
		if ev.ok && w.refuseAt == RefuseBrowserStep {
			if r.cfg.Variant.Flow.Ack != variant.AckAfterConfirm {
				// Nothing to refuse on this design's screen: the user
				// cancels on the existing device instead.
				r.q.push(event{at: w.now, kind: evCancel, actor: ActorExisting})
				return
			}
			ev.ok = false
		}
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorExisting, Name: okText(ev.ok, "confirms the browser step", "cancels the browser step")})
		w.user.add(Act{At: w.now, Kind: ActConfirmBrowser, Device: ActorExisting, OK: ev.ok})
		r.step(w, ActorExisting, login.Input{Kind: login.InputConsent, OK: ev.ok})
	case evConfirmAccount:
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorNew, Name: okText(ev.ok, "confirms the account", "rejects the account")})
		w.user.add(Act{At: w.now, Kind: ActConfirmAccount, Device: ActorNew, OK: ev.ok})
		r.step(w, ActorNew, login.Input{Kind: login.InputConfirmAccount, OK: ev.ok})
	case evCancel:
		r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ev.actor, Name: "cancels"})
		w.user.add(Act{At: w.now, Kind: ActCancel, Device: ev.actor})
		r.step(w, ev.actor, login.Input{Kind: login.InputCancel})
	case evInput:
		r.step(w, ev.actor, login.Input{Kind: login.InputKind(ev.id), OK: ev.ok})
	case evAdversary:
		// A copy: the interface call makes its argument escape, and the
		// run loop's event should not move to the heap for every event.
		e := *ev
		r.adversaries[ev.aux].timer(r, w, &e)
	case evFault:
		if ev.text == "heal" {
			w.healed = true
			w.net.Partitions = w.net.Partitions[:0]
			for i := range w.net.links {
				l := r.cfg.Network.links[i]
				l.LossUp, l.LossDown, l.Duplicate, l.Reorder = 0, 0, 0, 0
				w.net.links[i] = l
			}
		}
		r.tr.add(Event{At: w.now, Kind: EvFault, Actor: ActorNetwork, Name: ev.text})
	}
}

// arrive is an answer reaching its client (ev.id the exchange, ev.aux the
// answer): a late or duplicate one is dropped; otherwise the adversary
// that sent the request, the browser or the machine gets it.
func (r *Runner) arrive(w *run, ev *event) {
	x := &r.ex[ev.id]
	a := r.resps[ev.aux]
	x.arrived++
	if x.done {
		r.tr.add(Event{At: w.now, Kind: EvDrop, Actor: x.client, Peer: x.server, Name: x.name,
			Status: a.resp.Status, Detail: "late or duplicate answer discarded"})
		return
	}
	x.done = true
	x.answered++
	r.tr.add(Event{At: w.now, Kind: EvRecv, Actor: x.client, Peer: x.server, Name: x.name,
		Status: a.resp.Status, Bytes: len(a.resp.Body)})
	if a.corrupt {
		w.mon.touch(monChecks)
		w.mon.camera.corrupted(x.client, w.now)
	}
	if x.owner != nil {
		x.owner.answer(r, w, x, a)
		return
	}
	if x.client == ActorNew && x.server == ActorOP && !r.unchecked {
		w.mon.touch(monChecks)
		w.mon.cause.observeArrival(x.req.Path, a.resp.Body, w.now, w.op)
	}
	if x.server == ActorHomeserver && x.req.Target != login.TargetRendezvous && honest(x.client) && !r.unchecked {
		w.mon.touch(monChecks)
		w.mon.dev.observeHS(w.now, x.client, x.req.Method, x.req.Path, a.resp.Status, a.resp.Body)
	}
	if x.req.Target == login.TargetRendezvous && x.req.Method == "GET" && honest(x.client) && !r.unchecked {
		w.mon.arrivedRead(x.client, x.req.Path, a)
	}
	if x.client == ActorBrowser || x.client == ActorAttackerBrowser {
		r.browserAnswer(w, ev.id, a)
		return
	}
	r.step(w, x.client, login.Input{Kind: login.InputResponse, ID: x.req.ID, Response: a.resp})
}

func okText(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// machine is what the engine needs of a login state machine; both
// *login.NewDevice and *login.ExistingDevice are machines. It has no way to
// ask a device what it believes of itself: the monitors judge from
// outside.
type machine interface {
	Step(now Millis, in login.Input) []login.Effect
	State() login.State
	Outcome() login.Outcome
}

const numMachines = 3

// machineIndex is the slot of a machine actor.
func machineIndex(a Actor) int {
	switch a {
	case ActorNew:
		return 0
	case ActorExisting:
		return 1
	}
	return 2
}

// step delivers in to a machine and carries out its effects.
func (r *Runner) step(w *run, a Actor, in login.Input) {
	mc := w.m[machineIndex(a)]
	if mc == nil || mc.State().Terminal() {
		return
	}
	switch a {
	case ActorNew:
		r.touch(partNew)
	case ActorExisting:
		r.touch(partExisting)
	}
	fx := mc.Step(w.now, in)
	if w.res.Violation != nil {
		return // the tap on its channel saw a violation while it stepped
	}
	if a == ActorAttacker {
		for i := range fx {
			r.attackerEffect(w, &fx[i])
		}
		return
	}
	for i := range fx {
		r.effect(w, a, &fx[i])
		if w.res.Violation != nil {
			return
		}
	}
}

// effect carries out one effect of machine a.
func (r *Runner) effect(w *run, a Actor, f *login.Effect) {
	other := ActorExisting
	if a == ActorExisting {
		other = ActorNew
	}
	if r.plumbing(w, a, f) {
		return
	}
	switch f.Kind {
	case login.EffectState:
		r.tr.add(Event{At: w.now, Kind: EvState, Actor: a, Name: r.names.state(f.From, f.To)})
		if r.st.transition != nil {
			r.st.transition(a, f.From, f.To)
		}
		if a == ActorNew && f.From == login.StatePollingToken && !f.To.Terminal() && w.res.SignedInMillis < 0 {
			w.res.SignedInMillis = w.now
		}
		if userWait(f.To) && r.failed(w, other) {
			r.giveUp(w, a)
		}
	case login.EffectChannel:
		if f.Sealed {
			w.res.Messages++
		}
		r.tr.add(Event{At: w.now, Kind: EvChannel, Actor: a, Name: r.names.channel(f.Sealed, f.MsgType)})
		if a == ActorNew && !f.Sealed && f.MsgType == msg.TypeSecrets && w.res.SecretsMillis < 0 {
			w.res.SecretsMillis = w.now
		}
	case login.EffectShowQR:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Name: "shows the QR code"})
		w.user.add(Act{At: w.now, Kind: ActSawQR, Device: a})
		r.q.push(event{at: w.now + r.cfg.User.Scan.Sample(w.usrRand), kind: evScanned, actor: other, data: f.Data})
		for _, ad := range w.adv {
			ad.qrShown(r, w, a, f.Data)
		}
	case login.EffectShowCheckCode:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Name: "shows check code " + f.Text})
		w.user.add(Act{At: w.now, Kind: ActSawCheckCode, Device: a, Text: f.Text})
		if !w.blindCode {
			w.shownCode, w.codeShown, w.codeG = f.Text, true, other
		}
		r.typeCode(w)
	case login.EffectAskCheckCode:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Name: "asks for the check code"})
		w.asked, w.codeG = true, a
		r.typeCode(w)
	case login.EffectShowUserCode:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Name: "shows user code " + f.Text})
		w.mon.addSecret(f.Text)
		if w.newScreenHidden {
			break // the attacker's screen
		}
		w.userCode = f.Text
		if w.awaitCode != "" {
			r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: ActorBrowser, Name: "types user code " + f.Text})
			r.q.push(event{at: w.now + r.cfg.User.TypeCode.Sample(w.usrRand), kind: evBrowse, text: w.awaitCode,
				data: oauth.EncodeForm("code", f.Text)})
			w.awaitCode = ""
		}
	case login.EffectOpenBrowser:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Peer: ActorBrowser, Name: "opens " + f.Text})
		r.q.push(event{at: w.now + r.cfg.User.BrowserOpen.Sample(w.usrRand), kind: evBrowserOpened, ok: !w.browserFail, text: f.Text})
	case login.EffectAskConfirmAccount:
		r.tr.add(Event{At: w.now, Kind: EvUI, Actor: a, Name: "asks to confirm " + f.Text})
		// The user accepts their own account, and another only when they
		// would confirm anything put before them.
		ok := !w.rejectAccount && (f.Text == AliceID || w.blind)
		if ok && f.Text != AliceID {
			w.blindAccount = true
		}
		ev := event{at: w.now + r.cfg.User.Confirm.Sample(w.usrRand), kind: evConfirmAccount, ok: ok}
		if r.st.on && r.st.careless {
			ev.text = f.Text // the account asked about, for the careless user's choices
		}
		r.q.push(ev)
	case login.EffectOutcome:
		r.tr.add(Event{At: w.now, Kind: EvOutcome, Actor: a, Name: f.Outcome.String(), Detail: f.Outcome.Detail})
		if a == ActorNew {
			w.res.New = record(f.Outcome, w.now)
		} else {
			w.res.Existing = record(f.Outcome, w.now)
		}
		if !f.Outcome.Success && userWait(r.state(w, other)) {
			r.giveUp(w, other)
		}
	}
}

// plumbing carries out the effects every machine's are alike for:
// requests and timers. It reports whether f was one.
func (r *Runner) plumbing(w *run, a Actor, f *login.Effect) bool {
	switch f.Kind {
	case login.EffectRequest:
		r.send(w, a, f.Request, nil)
	case login.EffectSetTimer:
		r.q.push(event{at: f.At, kind: evTimer, actor: a, id: f.Timer})
	case login.EffectCancelTimer:
		w.dead[machineIndex(a)][f.Timer] = true
	default:
		return false
	}
	return true
}

// typeCode schedules the user typing the code on G once S showed it and G
// asked for it.
func (r *Runner) typeCode(w *run) {
	r.offerUnreadCode(w, "")
	if !w.codeShown || !w.asked {
		return
	}
	if w.refuseAt == RefuseCheckCode {
		// The user refuses where the code is asked for: cancels on G.
		r.q.push(event{at: w.now + r.cfg.User.TypeCode.Sample(w.usrRand), kind: evCancel, actor: w.codeG})
		w.codeShown = false
		return
	}
	code := w.shownCode
	if w.typo && len(code) == 2 {
		// A neighbouring key: the last digit off by one, or with
		// typo_any_digit a digit drawn at random.
		i := 1
		if r.cfg.User.TypoAnyDigit {
			i = w.usrRand.IntN(len(code))
		}
		d := (code[i]-'0'+1)%10 + '0'
		code = code[:i] + string(d) + code[i+1:]
	}
	if w.newScreenHidden {
		// The new device is the attacker's: the code is either typed on it
		// (the victim must read theirs out) or read from it (the attacker
		// must tell the victim); only a victim who goes along with that
		// lets the attack go on.
		if !w.blind {
			r.offerUnreadCode(w, code)
			w.codeShown = false
			return
		}
		w.blindCode = true
	}
	r.q.push(event{at: w.now + r.cfg.User.TypeCode.Sample(w.usrRand), kind: evTypeCode, actor: w.codeG, text: code})
	w.codeShown = false // once
}

// userWait reports whether a machine in state s waits for the user rather
// than for the network: a person whose other device shows an error gives up
// on this one; a machine waiting for the network must end by itself.
func userWait(s login.State) bool {
	switch s {
	case login.StateWaitingScan, login.StateWaitingCheckCode, login.StateOpeningBrowser, login.StateWaitingConfirm,
		login.StateConfirmingAccount:
		return true
	}
	return false
}

func (r *Runner) state(w *run, a Actor) login.State {
	return w.m[machineIndex(a)].State()
}

func (r *Runner) failed(w *run, a Actor) bool {
	return r.state(w, a) == login.StateFailed
}

// giveUp has the user, who saw the other device fail, cancel on a.
func (r *Runner) giveUp(w *run, a Actor) {
	if w.gaveUp {
		return
	}
	w.gaveUp = true
	r.tr.add(Event{At: w.now, Kind: EvUser, Actor: ActorUser, Peer: a, Name: "sees the other device fail"})
	r.q.push(event{at: w.now + r.cfg.User.Confirm.Sample(w.usrRand), kind: evCancel, actor: a})
}
