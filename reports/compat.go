package reports

import (
	"fmt"

	"qrlab/sim"
)

// GenericCause is a root cause with its per-run identifiers blanked (a
// rendezvous session's id, a device id), so that runs with the same cause
// count together.
func GenericCause(s string) string { return genericPath(s) }

// EndingName names how one device ended: "success", its reason, else its
// outcome, else "did not finish".
func EndingName(e sim.Ending) string { return ending(e) }

// Page is a page of the report's kind for a tool beside the sweep report
// (the compatibility matrix): headings, paragraphs, tables and figures
// drawn elsewhere, rendered as one self-contained HTML file (figures
// inline as SVG) in the report's style. Text takes `code` and **strong**.
type Page struct{ bl []block }

// Heading adds a heading of level 1 to 3.
func (p *Page) Heading(level int, text string) {
	p.bl = append(p.bl, block{kind: fmt.Sprintf("h%d", min(3, max(1, level))), text: text})
}

// Para adds a paragraph.
func (p *Page) Para(text string) { p.bl = append(p.bl, block{kind: "p", text: text}) }

// Table adds a table with its column heads, rows and a note below it.
func (p *Page) Table(head []string, rows [][]string, notes string) {
	p.bl = append(p.bl, block{kind: "table", head: head, rows: rows, notes: notes})
}

// Figure adds an SVG drawing inline, captioned, linking stem.png and
// stem.svg beside the page.
func (p *Page) Figure(stem, caption string, svg []byte) {
	p.bl = append(p.bl, block{kind: "figure", fig: &figure{stem: stem, caption: caption, svg: svg, here: true}})
}

// HTML is the page as one HTML file.
func (p *Page) HTML() []byte { return htmlPage(p.bl) }
