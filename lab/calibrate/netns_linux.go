package calibrate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
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
	rule := []string{"nft", "add", "rule", "inet", nftTable, "in", "iif", "lo", "meta", "l4proto", "tcp"}
	switch {
	case lossPercent == 100:
		rule = append(rule, "drop")
	case lossPercent > 0:
		rule = append(rule, "numgen", "random", "mod", "100", "<", fmt.Sprint(lossPercent), "drop")
	}
	if lossPercent > 0 {
		if err := run(rule); err != nil {
			return err
		}
	}
	s.q.SetDelay(oneWay)
	return nil
}

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
