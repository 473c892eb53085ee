package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qrlab/sim"
)

// LogLevel is how much a Log writes.
type LogLevel uint8

// The log levels of simrun serve --log.
const (
	// LogOff writes nothing.
	LogOff LogLevel = iota
	// LogRequests writes one short text line per exchange and per sweep
	// effect: milliseconds since the start, actor, status, request line and
	// the models' effects (no client address, no body size).
	LogRequests
	// LogTrace writes one JSON line per exchange and per sweep effect, in
	// the simulator's trace event shape, client address included.
	LogTrace
)

var logLevelNames = [...]string{LogOff: "off", LogRequests: "requests", LogTrace: "trace"}

func (l LogLevel) String() string {
	if int(l) < len(logLevelNames) {
		return logLevelNames[l]
	}
	return "LogLevel(" + strconv.Itoa(int(l)) + ")"
}

// ParseLogLevel reads off, requests or trace.
func ParseLogLevel(s string) (LogLevel, error) {
	for i, n := range logLevelNames {
		if s == n {
			return LogLevel(i), nil
		}
	}
	return 0, fmt.Errorf("log level %q: want off, requests or trace", s)
}

// DefaultLogBuffer is how many lines a Log holds for a slow reader before
// it drops.
const DefaultLogBuffer = 4096

// Log writes a server's events to a writer that may be slow or gone (a
// pipe to another program) without ever making a request wait: lines go
// through a bounded queue to one writing goroutine; when the queue is full
// a line is dropped and counted; when a write fails (the reader closed the
// pipe) the failure is reported once on the error writer and logging stops.
type Log struct {
	level LogLevel
	w     io.Writer
	errw  io.Writer
	name  string // prefix of messages on errw

	queue   chan []byte
	quit    chan struct{}
	done    chan struct{}
	dropped atomic.Int64
	written atomic.Int64
	failed  atomic.Bool
	warned  atomic.Bool
	closed  atomic.Bool
	closing sync.Once
}

// NewLog starts a Log that writes level's lines to w, holding up to buffer
// lines (0: DefaultLogBuffer) for a slow reader. Messages about the log
// itself go to errw, prefixed with name (such as "simrun serve").
func NewLog(w io.Writer, level LogLevel, errw io.Writer, name string, buffer int) *Log {
	if buffer <= 0 {
		buffer = DefaultLogBuffer
	}
	if errw == nil {
		errw = io.Discard
	}
	l := &Log{level: level, w: w, errw: errw, name: name,
		queue: make(chan []byte, buffer), quit: make(chan struct{}), done: make(chan struct{})}
	if level == LogOff || w == nil {
		l.level = LogOff
		close(l.done)
		return l
	}
	go l.writer()
	return l
}

// Level returns the log's level.
func (l *Log) Level() LogLevel { return l.level }

// Dropped returns how many lines were dropped because the reader was slow.
func (l *Log) Dropped() int64 { return l.dropped.Load() }

// Failed reports whether a write failed, which stopped the logging.
func (l *Log) Failed() bool { return l.failed.Load() }

// Event queues one event's line; it never blocks.
func (l *Log) Event(e sim.JSONEvent) {
	if l == nil || l.level == LogOff || l.failed.Load() || l.closed.Load() {
		return
	}
	var line []byte
	if l.level == LogTrace {
		b, err := json.Marshal(e)
		if err != nil {
			return
		}
		line = append(b, '\n')
	} else {
		line = compactLine(e)
	}
	select {
	case l.queue <- line:
	default:
		if l.dropped.Add(1) == 1 && l.warned.CompareAndSwap(false, true) {
			fmt.Fprintf(l.errw, "%s: log: the reader is slow; dropping log lines (count at exit), serving goes on\n", l.name)
		}
	}
}

// compactLine is an event as LogRequests writes it.
func compactLine(e sim.JSONEvent) []byte {
	detail := e.Detail
	if rest, ok := strings.CutPrefix(detail, "from "); ok {
		detail = ""
		if _, fx, ok := strings.Cut(rest, "; "); ok {
			detail = fx
		}
	}
	var b bytes.Buffer
	b.WriteString(strconv.FormatInt(e.At, 10))
	b.WriteByte(' ')
	b.WriteString(e.Actor)
	b.WriteByte(' ')
	if e.Status != 0 {
		b.WriteString(strconv.Itoa(e.Status))
	} else {
		b.WriteString(e.Kind)
	}
	b.WriteByte(' ')
	b.WriteString(e.Name)
	if detail != "" {
		b.WriteString(" (")
		b.WriteString(detail)
		b.WriteByte(')')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// writer writes queued lines, several per write when they pile up, until
// Close; after a failed write it only drains the queue.
func (l *Log) writer() {
	defer close(l.done)
	var buf []byte
	for {
		var line []byte
		select {
		case line = <-l.queue:
		case <-l.quit:
			// Close: write what is queued, then stop.
			for {
				select {
				case line = <-l.queue:
					l.write(append(buf[:0], line...))
				default:
					return
				}
			}
		}
		buf = append(buf[:0], line...)
	more:
		for len(buf) < 64<<10 {
			select {
			case line = <-l.queue:
				buf = append(buf, line...)
			default:
				break more
			}
		}
		l.write(buf)
	}
}

func (l *Log) write(b []byte) {
	if l.failed.Load() {
		return
	}
	if _, err := l.w.Write(b); err != nil {
		l.failed.Store(true)
		fmt.Fprintf(l.errw, "%s: log: writing the log failed (%v); logging stops, serving goes on\n", l.name, err)
		return
	}
	l.written.Add(int64(bytes.Count(b, []byte{'\n'})))
}

// Close writes the queued lines, waiting at most wait for a reader that is
// stuck, and reports the dropped lines, if any, on the error writer. Lines
// logged after Close are dropped silently.
func (l *Log) Close(wait time.Duration) {
	if l == nil {
		return
	}
	l.closing.Do(func() {
		if l.level == LogOff {
			return
		}
		l.closed.Store(true)
		close(l.quit)
		select {
		case <-l.done:
		case <-time.After(wait):
			fmt.Fprintf(l.errw, "%s: log: the reader took no more lines within %v; the rest is lost\n", l.name, wait)
		}
		if n := l.dropped.Load(); n > 0 {
			fmt.Fprintf(l.errw, "%s: log: dropped %d line(s) the reader was too slow to take\n", l.name, n)
		}
	})
}
