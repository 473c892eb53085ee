package calibrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// NamespaceEnv is set in the environment of a process that Reexec started
// inside its private network namespace.
const NamespaceEnv = "QRLAB_CALIBRATE_NETNS"

// InNamespace reports whether this process runs in the private network
// namespace Reexec made.
func InNamespace() bool { return os.Getenv(NamespaceEnv) == "1" }

// Reexec runs this program again with args, in a new network namespace of
// its own (only a loopback interface, nothing reachable outside), and waits
// for it. It needs root (CAP_SYS_ADMIN).
func Reexec(args []string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program to run it in a network namespace: %w", err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), NamespaceEnv+"=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("calibration in the network namespace: %w", err)
		}
		return fmt.Errorf("cannot make a private network namespace (root needed): %w", err)
	}
	return nil
}

// Shaper shapes every TCP packet on loopback in this network namespace:
// nftables drops each with a probability (numgen random), and an NFQUEUE
// rule hands each to a user-space queue that holds it for the one-way
// delay. Only to be used inside a namespace of one's own.
type Shaper struct {
	q *delayQueue
}

// Shaper's queue number and nftables table.
const (
	queueNum = 7
	nftTable = "qrlab"
)

// Prereqs reports what the shaper needs and this machine lacks ("" when
// nothing).
func Prereqs() string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"ip", "nft", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" (apt-get install -y nftables iptables iproute2)")
		}
	}
	return strings.Join(missing, ", ")
}

// NewShaper brings loopback up and installs the rules, with no loss and no
// delay.
func NewShaper() (*Shaper, error) {
	if !InNamespace() {
		return nil, errors.New("the shaper changes loopback's rules: run it only in a private network namespace (Reexec)")
	}
	steps := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"nft", "add", "table", "inet", nftTable},
		{"nft", "add", "chain", "inet", nftTable, "in", "{ type filter hook input priority 0 ; }"},
		// iptables, not nft: this kernel's nftables has no queue statement
		// (CONFIG_NFT_QUEUE), its xtables NFQUEUE target is there.
		{"iptables", "-t", "mangle", "-A", "OUTPUT", "-o", "lo", "-p", "tcp", "-j", "NFQUEUE", "--queue-num",
			fmt.Sprint(queueNum), "--queue-bypass"},
	}
	for _, s := range steps[:3] {
		if err := run(s); err != nil {
			return nil, err
		}
	}
	for _, c := range packetClasses {
		for _, name := range []string{c.name, c.name + "-lost"} {
			if err := run([]string{"nft", "add", "counter", "inet", nftTable, name}); err != nil {
				return nil, err
			}
		}
	}
	q, err := openDelayQueue(queueNum)
	if err != nil {
		return nil, err
	}
	if err := run(steps[3]); err != nil {
		q.Close()
		return nil, err
	}
	return &Shaper{q: q}, nil
}

// Set makes every TCP packet on loopback lost with lossPercent percent
// probability and delayed by oneWay.
func (s *Shaper) Set(lossPercent int, oneWay time.Duration) error {
	if lossPercent < 0 || lossPercent > 100 {
		return fmt.Errorf("loss %d%% is outside [0, 100]", lossPercent)
	}
	if err := run([]string{"nft", "flush", "chain", "inet", nftTable, "in"}); err != nil {
		return err
	}
	// Per class of packet: a counter of every packet, then the loss rule
	// with a counter of the lost ones (the classes are disjoint, so each
	// packet meets one draw).
	for _, c := range packetClasses {
		base := append([]string{"nft", "add", "rule", "inet", nftTable, "in", "iif", "lo", "meta", "l4proto", "tcp"}, c.match...)
		if err := run(append(slices.Clone(base), "counter", "name", c.name)); err != nil {
			return err
		}
		var drop []string
		switch {
		case lossPercent == 100:
			drop = []string{"counter", "name", c.name + "-lost", "drop"}
		case lossPercent > 0:
			drop = []string{"numgen", "random", "mod", "100", "<", fmt.Sprint(lossPercent), "counter", "name", c.name + "-lost", "drop"}
		}
		if drop != nil {
			if err := run(append(base, drop...)); err != nil {
				return err
			}
		}
	}
	if err := run([]string{"nft", "reset", "counters", "table", "inet", nftTable}); err != nil {
		return err
	}
	s.q.SetDelay(oneWay)
	return nil
}

// packetClasses sort the TCP packets on loopback by what they carry: SYN,
// FIN or RST; no payload (a pure ACK: an IP length of at most 72 bytes is
// 20 bytes of IP, 20 of TCP, 12 of timestamps and up to two SACK blocks;
// the smallest TLS record, 22 bytes, would not fit with the timestamps);
// small data (up to 300 bytes: HTTP requests without a body, short TLS
// records such as a client Finished); data above 300 bytes.
var packetClasses = []struct {
	name  string
	match []string
}{
	{"ctl", []string{"tcp", "flags", "&", "(syn | fin | rst)", "!=", "0"}},
	{"ack", []string{"tcp", "flags", "&", "(syn | fin | rst)", "==", "0", "ip", "length", "0-72"}},
	{"small", []string{"tcp", "flags", "&", "(syn | fin | rst)", "==", "0", "ip", "length", "73-300"}},
	{"data", []string{"tcp", "flags", "&", "(syn | fin | rst)", "==", "0", "ip", "length", "301-65535"}},
}

// Counts are the packets of each class seen on loopback since the last
// Set, and how many of them the loss rule dropped ("ctl", "ack", "small",
// "data", each also with "-lost").
func (s *Shaper) Counts() (map[string]int64, error) {
	out, err := exec.Command("nft", "-j", "list", "counters", "table", "inet", nftTable).Output()
	if err != nil {
		return nil, fmt.Errorf("nft list counters: %w", err)
	}
	var doc struct {
		Nftables []struct {
			Counter *struct {
				Name    string `json:"name"`
				Packets int64  `json:"packets"`
			} `json:"counter"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("nft list counters: %w", err)
	}
	m := map[string]int64{}
	for _, e := range doc.Nftables {
		if e.Counter != nil {
			m[e.Counter.Name] = e.Counter.Packets
		}
	}
	return m, nil
}

// Late is how late the delay queue let packets through since the last Set
// (after their due time; the wait between the kernel queueing a packet and
// the queue reading it is not in it): the mean, the 99th percentile and
// the number of packets.
func (s *Shaper) Late() (mean, p99 time.Duration, n int) { return s.q.late() }

// Close removes the rules and the queue.
func (s *Shaper) Close() error {
	err := run([]string{"iptables", "-t", "mangle", "-F", "OUTPUT"})
	if e := run([]string{"nft", "delete", "table", "inet", nftTable}); err == nil {
		err = e
	}
	if e := s.q.Close(); err == nil {
		err = e
	}
	return err
}

func run(args []string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ccSysctl is net.ipv4.tcp_congestion_control, per network namespace: a
// new namespace starts with the host's (tcp_sk_init in Linux
// net/ipv4/tcp_ipv4.c copies init_net's, Kingxukai/linux 9b44fff6), so
// without this the real side would run under whatever the host's default
// is.
const ccSysctl = "/proc/sys/net/ipv4/tcp_congestion_control"

// SetCC sets this network namespace's TCP congestion control to name (as
// sysctl -w net.ipv4.tcp_congestion_control=name does) and says how it
// went. The kernel refuses it in a namespace other than the host's for a
// congestion control outside tcp_allowed_congestion_control (this host
// allows reno and bbr), and that list is the host's, not the namespace's:
// then every socket of the real side is set on its own instead
// (ccControl), which root may do with any the kernel has. Only inside a
// private namespace (Reexec).
func SetCC(name string) (how string, err error) {
	if !InNamespace() {
		return "", errors.New("the congestion control is set for the whole network namespace: run it only in a private one (Reexec)")
	}
	if err := ValidateCC(name); err != nil {
		return "", err
	}
	avail, _ := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if !slices.Contains(strings.Fields(string(avail)), name) {
		return "", fmt.Errorf("congestion control %q: this kernel has only %s", name, strings.TrimSpace(string(avail)))
	}
	if werr := os.WriteFile(ccSysctl, []byte(name), 0o644); werr != nil {
		return "set on every socket with TCP_CONGESTION; the namespace's sysctl refused it: " + werr.Error(), nil
	}
	b, err := os.ReadFile(ccSysctl)
	if err != nil {
		return "", fmt.Errorf("read net.ipv4.tcp_congestion_control back: %w", err)
	}
	if got := strings.TrimSpace(string(b)); got != name {
		return "", fmt.Errorf("net.ipv4.tcp_congestion_control reads %q after setting %q", got, name)
	}
	return "set by net.ipv4.tcp_congestion_control, and on every socket with TCP_CONGESTION", nil
}

// ccControl is a net.Dialer's or net.ListenConfig's Control that sets the
// socket's congestion control to name (TCP_CONGESTION) before it connects
// or listens, and checks that it reads back; a listener's choice passes to
// the connections it accepts (tcp_ca_openreq_child in Linux
// net/ipv4/tcp_minisocks.c keeps a listener's setsockopt choice).
func ccControl(name string) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = syscall.SetsockoptString(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CONGESTION, name); serr != nil {
				serr = fmt.Errorf("set TCP_CONGESTION %q: %w", name, serr)
				return
			}
			var got string
			if got, serr = fdCC(fd); serr == nil && got != name {
				serr = fmt.Errorf("TCP_CONGESTION reads %q after setting %q", got, name)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// socketCC is the congestion control of a TCP listener's socket.
func socketCC(ln net.Listener) (string, error) {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return "", fmt.Errorf("not a TCP listener: %T", ln)
	}
	rc, err := tl.SyscallConn()
	if err != nil {
		return "", err
	}
	var cc string
	var gerr error
	if err := rc.Control(func(fd uintptr) { cc, gerr = fdCC(fd) }); err != nil {
		return "", err
	}
	return cc, gerr
}

// fdCC reads a socket's TCP_CONGESTION.
func fdCC(fd uintptr) (string, error) {
	buf := make([]byte, 16)
	n := uint32(len(buf))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_CONGESTION,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return "", fmt.Errorf("read TCP_CONGESTION: %w", e)
	}
	return strings.TrimRight(string(buf[:n]), "\x00"), nil
}
