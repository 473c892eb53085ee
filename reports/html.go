package reports

import (
	"bytes"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
)

// The HTML report is one file: every figure and diagram is inline SVG, and
// nothing is fetched (no script, font or style sheet from elsewhere). The
// page fits 1400 pixels: tables wrap long cells rather than widen the page.

// pageCSS is the report page's style sheet.
const pageCSS = `body { font-family: sans-serif; max-width: 84em; margin: 2em auto; padding: 0 1em; color: #222; }
p { max-width: 60em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 90%; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
td { overflow-wrap: anywhere; }
th { overflow-wrap: break-word; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figure:not(.seq) svg { width: 100%; max-width: 56em; }
figcaption { font-style: italic; font-size: 90%; max-width: 60em; }
details { margin: 0.5em 0 1.5em; }
pre { background: #f4f4f4; padding: 1em; overflow-x: auto; font-size: 85%; }
`

// inlineSVG is an SVG document as an element of the page: without its XML
// prolog and comments, with an accessible name.
func inlineSVG(svg []byte, label string) string {
	i := bytes.Index(svg, []byte("<svg"))
	if i < 0 {
		return ""
	}
	return `<svg role="img" aria-label="` + html.EscapeString(label) + `"` + strings.TrimRight(string(svg[i+len("<svg"):]), "\n")
}

// figureHTML writes a plot inline (the SVG save drew), with its caption and
// a link to the PNG beside the report.
func figureHTML(w *bytes.Buffer, f *figure) {
	dir := "plots/"
	if f.here {
		dir = ""
	}
	fmt.Fprintf(w, "<figure id=\"fig-%s\">\n%s\n<figcaption>%s (<a href=\"%s%s.png\">PNG</a>, <a href=\"%s%s.svg\">SVG</a>)</figcaption></figure>\n",
		f.stem, inlineSVG(f.svg, f.stem), inlineHTML(f.caption), dir, f.stem, dir, f.stem)
}

// stem is the diagram's file stem under diagrams/ ("" when there is no
// drawing, only Mermaid source).
func (d *Diagram) stem() string {
	if d == nil || len(d.Steps) == 0 {
		return ""
	}
	if d.Name == "" {
		return fmt.Sprintf("run-%d-%d", d.Point, d.Seed)
	}
	return d.Name
}

// svg draws the diagram.
func (d *Diagram) svg() []byte { return SequenceSVG(d.Title, d.Steps, d.More) }

// save writes the diagram as SVG and its Mermaid source under
// dir/diagrams (nothing without steps).
func (d *Diagram) save(dir string) error {
	s := d.stem()
	if s == "" {
		return nil
	}
	dd := filepath.Join(dir, "diagrams")
	if err := os.MkdirAll(dd, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dd, s+".svg"), d.svg(), 0o644); err != nil {
		return fmt.Errorf("diagram %s: %w", s, err)
	}
	return os.WriteFile(filepath.Join(dd, s+".mmd"), []byte(strings.TrimRight(d.Mermaid, "\n")+"\n"), 0o644)
}

// diagramHTML writes a run's diagram drawn inline, with the Mermaid source
// folded below it (the source alone when there is no drawing).
func diagramHTML(w *bytes.Buffer, d *Diagram, mermaid string) {
	src := html.EscapeString(strings.TrimRight(mermaid, "\n"))
	if d.stem() == "" {
		fmt.Fprintf(w, "<details open><summary>Mermaid source</summary><pre>%s</pre></details>\n", src)
		return
	}
	fmt.Fprintf(w, "<figure class=\"seq\">\n%s\n<figcaption>Virtual time in seconds on the left; crossed arrows were lost, timed out or discarded.</figcaption></figure>\n", inlineSVG(d.svg(), d.Title))
	fmt.Fprintf(w, "<details><summary>Mermaid source (renders on GitHub in a <code>```mermaid</code> block)</summary><pre>%s</pre></details>\n", src)
}
