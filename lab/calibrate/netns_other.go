//go:build !linux

package calibrate

import (
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// NamespaceEnv is set in the environment of a process that Reexec started
// inside its private network namespace.
const NamespaceEnv = "QRLAB_CALIBRATE_NETNS"

// errNotLinux: network namespaces, nftables and NFQUEUE are Linux's.
var errNotLinux = errors.New("the calibration needs Linux (network namespaces, nftables, NFQUEUE)")

// InNamespace reports whether this process runs in the private network
// namespace Reexec made (never, off Linux).
func InNamespace() bool { return false }

// Reexec fails off Linux.
func Reexec([]string, io.Writer, io.Writer) error { return errNotLinux }

// Prereqs reports what the shaper needs and this machine lacks.
func Prereqs() string {
	return "Linux"
}

// Shaper is Linux-only.
type Shaper struct{}

// NewShaper fails off Linux.
func NewShaper() (*Shaper, error) { return nil, errNotLinux }

// Set fails off Linux.
func (s *Shaper) Set(int, time.Duration) error { return errNotLinux }

// Close does nothing off Linux.
func (s *Shaper) Close() error { return nil }

func run([]string) error { return errNotLinux }

// Counts fails off Linux.
func (s *Shaper) Counts() (map[string]int64, error) { return nil, errNotLinux }

// Late is zero off Linux.
func (s *Shaper) Late() (mean, p99 time.Duration, n int) { return 0, 0, 0 }

// SetCC fails off Linux.
func SetCC(string) (string, error) { return "", errNotLinux }

// ccControl sets nothing off Linux.
func ccControl(string) func(string, string, syscall.RawConn) error { return nil }

// socketCC fails off Linux.
func socketCC(net.Listener) (string, error) { return "", errNotLinux }
