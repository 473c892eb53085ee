package sim

import (
	"fmt"

	"qrlab/model/login"
	"qrlab/model/msg"
)

// InvFailureHasCause: a login in which nothing from outside the two
// devices interfered (no adversary, which includes the camera that
// misreads a scan or corrupts a payload) and both devices run the same
// design never ends either device with channel_integrity,
// unexpected_message_received or invalid_qr: those endings say a device
// met a payload or a QR code its honest peer never made. Judged from the
// run's configuration, the store's answers as they reached the devices and
// the devices' screens alone: the one cause inside the protocol is a
// payload overwritten before the other side read it (a design that lets one
// side write twice in a row, such as an acknowledgement sent before the
// browser step followed at once by m.login.failure), after which the
// reader opens a later message than it expects. Read means that an answer
// carrying the payload reached the reader: a read the store served but the
// network lost leaves the payload unread (MSC4108.md §4b, strict
// alternation: a device that sends twice before the other has read puts
// the counters out of step). The same holds for a payload a device sent
// that never landed while its next one did (the two writes reordered or
// the first lost, the store refusing or never seeing it): the reader can
// never read it (monitor.landed). A user's mistakes (typos, refusals, cancels,
// a failing browser) and the network's losses and duplicates alone are no
// cause for them.
const InvFailureHasCause = "failure-has-an-outside-cause"

// causelessReasons are the endings only an outside cause explains.
var causelessReasons = []string{
	string(login.ReasonChannelIntegrity),
	string(msg.ReasonUnexpectedMessageReceived),
	string(login.ReasonInvalidQR),
}

// outsideCauseComplaint judges the run's endings; unreadLost is the
// monitor's note (from the store's answers and their arrivals) that a
// payload was overwritten before any answer carrying it reached the other
// side. "" when a cause could explain them or
// none calls for one.
func (r *Runner) outsideCauseComplaint(res *Result, unreadLost bool) string {
	if len(r.cfg.Adversaries) > 0 || r.cfg.NewVariant != nil || unreadLost {
		return "" // an adversary, two designs that may not understand each other, or a lost message
	}
	for _, d := range []struct {
		who Actor
		end *Ending
	}{{ActorNew, &res.New}, {ActorExisting, &res.Existing}} {
		for _, reason := range causelessReasons {
			if d.end.Reason == reason && !d.end.Success {
				return fmt.Sprintf("%s ended %s at %d ms with no adversary, no corrupting camera, one design on both devices and no payload overwritten unread",
					d.who, reason, d.end.At)
			}
		}
	}
	return ""
}
