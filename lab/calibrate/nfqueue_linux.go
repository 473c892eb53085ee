package calibrate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"
)

// The delay shim: every TCP packet on loopback is handed to user space by
// an NFQUEUE rule in the output hook, held for the one-way delay and then
// let through (a verdict per packet, in arrival order). The kernel's TCP on
// both ends so sees the profile's round trip, and its retransmission timer
// runs on it; nothing in the sockets above knows.
//
// The netlink messages follow the kernel's uapi headers
// linux/netfilter/nfnetlink.h and linux/netfilter/nfnetlink_queue.h (read
// in linux-libc-dev 6.1 on this machine): message types and attribute
// numbers below are theirs.
const (
	nfnlSubsysQueue   = 3 // NFNL_SUBSYS_QUEUE
	nfqnlMsgPacket    = 0 // NFQNL_MSG_PACKET
	nfqnlMsgVerdict   = 1 // NFQNL_MSG_VERDICT
	nfqnlMsgConfig    = 2 // NFQNL_MSG_CONFIG
	nfqaPacketHdr     = 1 // NFQA_PACKET_HDR
	nfqaVerdictHdr    = 2 // NFQA_VERDICT_HDR
	nfqaCfgCmd        = 1 // NFQA_CFG_CMD
	nfqaCfgParams     = 2 // NFQA_CFG_PARAMS
	nfqaCfgQueueMax   = 3 // NFQA_CFG_QUEUE_MAXLEN
	nfqaCfgMask       = 4 // NFQA_CFG_MASK
	nfqaCfgFlags      = 5 // NFQA_CFG_FLAGS
	nfqnlCfgCmdBind   = 1 // NFQNL_CFG_CMD_BIND
	nfqnlCopyMeta     = 1 // NFQNL_COPY_META
	nfqaCfgFFailOpen  = 1 // NFQA_CFG_F_FAIL_OPEN
	nfAccept          = 1 // NF_ACCEPT
	netlinkNetfilter  = 12
	nlmsgHdrLen       = 16
	nfgenHdrLen       = 4
	queueMaxLen       = 65536
	netlinkRecvBuffer = 8 << 20
)

// delayQueue is one bound NFQUEUE whose packets are released after a delay.
type delayQueue struct {
	fd    int
	num   uint16
	mu    sync.Mutex
	delay time.Duration
	held  chan heldPacket
	seq   uint32
	done  chan struct{}
	stop  chan struct{}
	err   error
	// lateness of each packet let through since the last SetDelay.
	lateMu sync.Mutex
	lates  []time.Duration
}

type heldPacket struct {
	id  uint32
	due time.Time
}

// openDelayQueue binds queue num and starts releasing its packets after
// the current delay (SetDelay).
func openDelayQueue(num uint16) (*delayQueue, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, netlinkNetfilter)
	if err != nil {
		return nil, fmt.Errorf("netlink socket for NFQUEUE: %w", err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, netlinkRecvBuffer)
	// A receive timeout lets the reader notice Close.
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &syscall.Timeval{Usec: 100_000})
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("bind netlink: %w", err)
	}
	q := &delayQueue{fd: fd, num: num, held: make(chan heldPacket, queueMaxLen), done: make(chan struct{}),
		stop: make(chan struct{})}
	cmd := []byte{nfqnlCfgCmdBind, 0, 0, 0} // pf 0: any family
	params := make([]byte, 5)
	binary.BigEndian.PutUint32(params, 0xffff)
	params[4] = nfqnlCopyMeta
	maxLen := binary.BigEndian.AppendUint32(nil, queueMaxLen)
	flags := binary.BigEndian.AppendUint32(nil, nfqaCfgFFailOpen)
	for _, m := range [][]byte{
		q.msg(nfqnlMsgConfig, attr(nfqaCfgCmd, cmd)),
		q.msg(nfqnlMsgConfig, attr(nfqaCfgParams, params), attr(nfqaCfgQueueMax, maxLen),
			attr(nfqaCfgMask, flags), attr(nfqaCfgFlags, flags)),
	} {
		if err := q.send(m); err != nil {
			syscall.Close(fd)
			return nil, fmt.Errorf("configure NFQUEUE %d: %w", num, err)
		}
		if err := q.ack(); err != nil {
			syscall.Close(fd)
			return nil, fmt.Errorf("configure NFQUEUE %d: %w", num, err)
		}
	}
	go q.release()
	go q.receive()
	return q, nil
}

// SetDelay sets the one-way delay of packets queued from now on.
func (q *delayQueue) SetDelay(d time.Duration) {
	q.mu.Lock()
	q.delay = d
	q.mu.Unlock()
	q.lateMu.Lock()
	q.lates = q.lates[:0]
	q.lateMu.Unlock()
}

// Close stops the queue once every held packet is let through, and closes
// the socket (the kernel then unbinds the queue).
func (q *delayQueue) Close() error {
	close(q.stop)
	<-q.done
	return syscall.Close(q.fd)
}

func attr(typ uint16, data []byte) []byte {
	n := 4 + len(data)
	b := make([]byte, (n+3)&^3)
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], typ)
	copy(b[4:], data)
	return b
}

// msg is one nfnetlink message of the queue subsystem with the given
// attributes, asking for an acknowledgement.
func (q *delayQueue) msg(typ uint16, attrs ...[]byte) []byte {
	b := make([]byte, nlmsgHdrLen+nfgenHdrLen)
	for _, a := range attrs {
		b = append(b, a...)
	}
	q.seq++
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], nfnlSubsysQueue<<8|typ)
	binary.LittleEndian.PutUint16(b[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_ACK)
	binary.LittleEndian.PutUint32(b[8:], q.seq)
	b[16] = syscall.AF_UNSPEC
	b[17] = 0 // NFNETLINK_V0
	binary.BigEndian.PutUint16(b[18:], q.num)
	return b
}

func (q *delayQueue) send(b []byte) error {
	return syscall.Sendto(q.fd, b, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK})
}

// ack reads the kernel's answer to a configuration message.
func (q *delayQueue) ack() error {
	buf := make([]byte, 8192)
	n, _, err := syscall.Recvfrom(q.fd, buf, 0)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == syscall.NLMSG_ERROR && len(m.Data) >= 4 {
			if e := int32(binary.LittleEndian.Uint32(m.Data)); e != 0 {
				return syscall.Errno(-e)
			}
		}
	}
	return nil
}

// receive reads queued packets and holds each until its release time.
func (q *delayQueue) receive() {
	defer close(q.held)
	buf := make([]byte, 1<<16)
	for {
		select {
		case <-q.stop:
			return
		default:
		}
		n, _, err := syscall.Recvfrom(q.fd, buf, 0)
		if err != nil {
			if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.EAGAIN) {
				continue
			}
			q.err = err
			return
		}
		now := time.Now()
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		q.mu.Lock()
		d := q.delay
		q.mu.Unlock()
		for _, m := range msgs {
			if m.Header.Type != nfnlSubsysQueue<<8|nfqnlMsgPacket || len(m.Data) < nfgenHdrLen {
				continue
			}
			if id, ok := packetID(m.Data[nfgenHdrLen:]); ok {
				q.held <- heldPacket{id: id, due: now.Add(d)}
			}
		}
	}
}

// packetID finds NFQA_PACKET_HDR's packet id among the attributes.
func packetID(b []byte) (uint32, bool) {
	for len(b) >= 4 {
		n := int(binary.LittleEndian.Uint16(b))
		typ := binary.LittleEndian.Uint16(b[2:]) & 0x3fff
		if n < 4 || n > len(b) {
			return 0, false
		}
		if typ == nfqaPacketHdr && n >= 8 {
			return binary.BigEndian.Uint32(b[4:]), true
		}
		b = b[min((n+3)&^3, len(b)):]
	}
	return 0, false
}

// release lets the held packets through in order, each at its time.
func (q *delayQueue) release() {
	defer close(q.done)
	for p := range q.held {
		if d := time.Until(p.due); d > 0 {
			time.Sleep(d)
		}
		v := make([]byte, 8)
		binary.BigEndian.PutUint32(v, nfAccept)
		binary.BigEndian.PutUint32(v[4:], p.id)
		m := q.msg(nfqnlMsgVerdict, attr(nfqaVerdictHdr, v))
		binary.LittleEndian.PutUint16(m[6:], syscall.NLM_F_REQUEST) // no ack per packet
		_ = q.send(m)                                               // a packet whose verdict is lost stays queued until fail-open or Close
		late := time.Since(p.due)
		q.lateMu.Lock()
		q.lates = append(q.lates, late)
		q.lateMu.Unlock()

	}
}

// late is the mean and 99th percentile of how late packets were let
// through since the last SetDelay, and their number.
func (q *delayQueue) late() (mean, p99 time.Duration, n int) {
	q.lateMu.Lock()
	l := slices.Clone(q.lates)
	q.lateMu.Unlock()
	if len(l) == 0 {
		return 0, 0, 0
	}
	slices.Sort(l)
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return sum / time.Duration(len(l)), l[(len(l)*99)/100], len(l)
}
