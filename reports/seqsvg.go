package reports

import (
	"bytes"
	"fmt"
	"html"
	"unicode/utf8"

	"qrlab/sim"
)

// A sequence diagram as SVG, drawn by the project itself so that the HTML
// report needs no script: one lifeline per actor, one row per step, the
// virtual time of every step in the left column. The output depends on
// the steps only (fixed sizes, no ids, no fonts to fetch), so the same run
// gives the same bytes.

// Lanes in the order they are drawn; a lane appears when a step uses it.
const (
	laneNew = iota
	laneRendezvous
	laneExisting
	laneHomeserver
	laneOP
	laneBrowser
	laneUser
	laneAttacker
	laneAttackerBrowser
	laneNetwork
	numLanes
)

var laneNames = [numLanes]string{"New device", "Rendezvous", "Existing device", "Homeserver", "OAuth provider", "Browser (on E)",
	"User", "Attacker", "Attacker's browser", "Network"}

// Geometry, in SVG user units (pixels).
const (
	seqTimeCol = 78  // the time column left of the first lifeline
	seqLaneW   = 140 // lifeline spacing
	seqHeadH   = 46  // lane boxes on top
	seqRowH    = 24  // one step
	seqLegendH = 56  // the key at the bottom (up to three rows)
	seqCharW   = 6.1 // width of a character at font-size 11 (for cutting labels)
	seqLabelW  = 280 // widest label or note, wider than a lane
)

// Colours of the Okabe–Ito palette (plots.go) for what a reader must not
// miss; black and greys for the rest.
const (
	seqReply     = "#0072B2" // blue: answers
	seqCross     = "#D55E00" // vermillion: lost, timed out, discarded; injected events
	seqDuplicate = "#CC79A7" // reddish purple: duplicated requests
	seqNoteFill  = "#FBF5CF"
)

// laneOf is the lane of an actor in a step.
func laneOf(a sim.Actor, rendezvous bool) int {
	switch a {
	case sim.ActorNew:
		return laneNew
	case sim.ActorExisting:
		return laneExisting
	case sim.ActorHomeserver:
		if rendezvous {
			return laneRendezvous
		}
		return laneHomeserver
	case sim.ActorOP:
		return laneOP
	case sim.ActorBrowser:
		return laneBrowser
	case sim.ActorUser:
		return laneUser
	case sim.ActorAttacker:
		return laneAttacker
	case sim.ActorAttackerBrowser:
		return laneAttackerBrowser
	}
	return laneNetwork
}

// spansAll reports whether a note is about the whole run (a fault or a
// violation), drawn across every lifeline.
func spansAll(st *sim.Step) bool {
	return st.Kind == sim.StepNote && st.From != st.To
}

// seqLayout is where each used lane's lifeline is.
type seqLayout struct {
	x     [numLanes]float64 // lifeline x, for used lanes
	used  []int
	width float64
}

func newSeqLayout(steps []sim.Step) *seqLayout {
	var used [numLanes]bool
	for i := range steps {
		st := &steps[i]
		if spansAll(st) {
			continue
		}
		used[laneOf(st.From, st.Rendezvous)] = true
		used[laneOf(st.To, st.Rendezvous)] = true
	}
	used[laneNew] = true // a diagram of notes only still has a lifeline to hang them on
	l := &seqLayout{}
	for ln := range numLanes {
		if used[ln] {
			l.x[ln] = seqTimeCol + seqLaneW/2 + float64(len(l.used))*seqLaneW
			l.used = append(l.used, ln)
		}
	}
	l.width = seqTimeCol + float64(max(len(l.used), 4))*seqLaneW + 10
	return l
}

// cut shortens s to fit w pixels, with an ellipsis; full says whether it
// was left whole.
func cut(s string, w float64) (out string, full bool) {
	n := int(w / seqCharW)
	if utf8.RuneCountInString(s) <= n {
		return s, true
	}
	r := []rune(s)
	return string(r[:max(n-1, 1)]) + "…", false
}

// SequenceSVG draws steps as an SVG sequence diagram; more is the number
// of steps left out at the end (said in a last note), title its
// accessible name.
func SequenceSVG(title string, steps []sim.Step, more int) []byte {
	l := newSeqLayout(steps)
	rows := len(steps)
	if more > 0 {
		rows++
	}
	h := float64(seqHeadH + 10 + rows*seqRowH + 10 + seqLegendH)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" font-family="sans-serif" font-size="11">`+"\n",
		l.width, h, l.width, h)
	fmt.Fprintf(&b, "<title>%s</title>\n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n", html.EscapeString(title))
	bottom := h - seqLegendH - 6
	for _, ln := range l.used {
		x := l.x[ln]
		fill, stroke := "#eee", "#444"
		if ln == laneAttacker || ln == laneAttackerBrowser {
			fill, stroke = "#F9E0CF", seqCross // the adversary's lanes stand out
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="6" width="%d" height="28" rx="4" fill="%s" stroke="%s"/>`+"\n", x-seqLaneW/2+8, seqLaneW-16, fill, stroke)
		fmt.Fprintf(&b, `<text x="%.1f" y="24" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x, html.EscapeString(laneNames[ln]))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="34" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="3,3"/>`+"\n", x, x, bottom)
	}
	fmt.Fprintf(&b, `<text x="%d" y="24" text-anchor="end" fill="#555">time (s)</text>`+"\n", seqTimeCol-8)
	y := float64(seqHeadH + 10)
	for i := range steps {
		y += seqRowH
		l.step(&b, &steps[i], y)
	}
	if more > 0 {
		y += seqRowH
		l.note(&b, l.x[l.used[0]], l.x[l.used[len(l.used)-1]], y, fmt.Sprintf("%d more steps (simrun replay shows the whole run)", more), "#999")
	}
	l.legend(&b, h-seqLegendH+8)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// step draws one step on the row whose baseline is y.
func (l *seqLayout) step(b *bytes.Buffer, st *sim.Step, y float64) {
	fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%.3f</text>`+"\n", seqTimeCol-8, y, float64(st.At)/1000)
	x1, x2 := l.x[laneOf(st.From, st.Rendezvous)], l.x[laneOf(st.To, st.Rendezvous)]
	switch {
	case spansAll(st):
		l.note(b, l.x[l.used[0]], l.x[l.used[len(l.used)-1]], y, st.Text, "#444")
		return
	case st.Kind == sim.StepNote || x1 == x2:
		l.note(b, x1, x2, y, st.Text, "#444")
		return
	case st.Kind == sim.StepInjected:
		l.note(b, min(x1, x2), max(x1, x2), y, "injected: "+st.Text, seqCross)
		return
	}
	stroke, dash, head, cross := "#222", "", true, false
	switch st.Kind {
	case sim.StepReply:
		stroke, dash = seqReply, ` stroke-dasharray="6,3"`
	case sim.StepLost:
		stroke, head, cross = seqCross, false, true
		x2 = x1 + (x2-x1)*0.6 // it never arrives
	case sim.StepTimeout:
		stroke, dash, head, cross = seqCross, ` stroke-dasharray="2,3"`, false, true
	case sim.StepLate:
		stroke, dash, head, cross = seqCross, ` stroke-dasharray="6,3"`, false, true
	case sim.StepDuplicate:
		stroke = seqDuplicate
	}
	ly := y + 4
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.4"%s/>`+"\n", x1, ly, x2, ly, stroke, dash)
	dir := 1.0
	if x2 < x1 {
		dir = -1
	}
	if head {
		fmt.Fprintf(b, `<path d="M%.1f %.1fl%.1f -4v8z" fill="%s"/>`+"\n", x2, ly, -8*dir, stroke)
		if st.Kind == sim.StepDuplicate {
			fmt.Fprintf(b, `<path d="M%.1f %.1fl%.1f -4v8z" fill="%s"/>`+"\n", x2-8*dir, ly, -8*dir, stroke)
		}
	}
	if cross {
		fmt.Fprintf(b, `<path d="M%.1f %.1fl8 8m0 -8l-8 8" stroke="%s" stroke-width="2"/>`+"\n", x2-4, ly-4, seqCross)
	}
	text, full := cut(st.Text, max(abs(x2-x1)+100, seqLabelW))
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s%s</text>`+"\n", (x1+x2)/2, y, titled(st.Text, full), html.EscapeString(text))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// titled is a <title> child carrying the whole text when the label was cut.
func titled(s string, full bool) string {
	if full {
		return ""
	}
	return "<title>" + html.EscapeString(s) + "</title>"
}

// note draws a box from lifeline x1 to x2 (at least a lane wide), the
// text inside, on the row whose baseline is y.
func (l *seqLayout) note(b *bytes.Buffer, x1, x2, y float64, s, stroke string) {
	w := max(x2-x1+seqLaneW-20, seqLabelW)
	left := min(max((x1+x2)/2-w/2, seqTimeCol), l.width-w-4)
	text, full := cut(s, w-8)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" stroke="%s"/>`+"\n", left, y-13, w, seqRowH-6, seqNoteFill, stroke)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s">%s%s</text>`+"\n", left+w/2, y, stroke, titled(s, full), html.EscapeString(text))
}

// legend draws the key of the arrows at the bottom.
func (l *seqLayout) legend(b *bytes.Buffer, y float64) {
	x := float64(seqTimeCol)
	for _, k := range []struct {
		what, stroke, dash string
		cross              bool
	}{{"request or act", "#222", "", false}, {"answer", seqReply, "6,3", false}, {"lost (crossed where it vanished)", seqCross, "", true},
		{"timeout", seqCross, "2,3", true}, {"late or duplicate answer discarded", seqCross, "6,3", true}, {"duplicated request", seqDuplicate, "", false}} {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.4" stroke-dasharray="%s"/>`+"\n", x, y, x+28, y, k.stroke, k.dash)
		if k.cross {
			fmt.Fprintf(b, `<path d="M%.1f %.1fl8 8m0 -8l-8 8" stroke="%s" stroke-width="2"/>`+"\n", x+24, y-4, seqCross)
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x+34, y+4, html.EscapeString(k.what))
		x += 40 + float64(len(k.what))*seqCharW
		if x > l.width-220 {
			x, y = seqTimeCol, y+16
		}
	}
}
