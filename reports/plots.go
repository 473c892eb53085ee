package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot sizes are fixed so that the same records give the same pictures.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 10 * vg.Centimeter
	maxCDF     = 400
)

// okabeIto is the colour-blind-safe palette of Okabe and Ito's Color
// Universal Design (republished by Wong, "Points of view: Color
// blindness", Nature Methods, 2011), in the order series take them: a
// panel never holds more series than colours, so no colour repeats.
// Yellow comes last: it is faint on white.
var okabeIto = []color.Color{
	color.RGBA{0xE6, 0x9F, 0x00, 0xFF}, // orange
	color.RGBA{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	color.RGBA{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	color.RGBA{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	color.RGBA{0x00, 0x72, 0xB2, 0xFF}, // blue
	color.RGBA{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	color.RGBA{0x00, 0x00, 0x00, 0xFF}, // black
	color.RGBA{0xF0, 0xE4, 0x42, 0xFF}, // yellow
}

// panelSeries is the most series one panel shows; more are faceted into
// further panels of the same figure.
const panelSeries = 6

func seriesColor(i int) color.Color { return okabeIto[i%len(okabeIto)] }

// panel is one plot of a figure and the number of its legend entries
// (drawn below the plot, outside the plotting area).
type panel struct {
	p       *plot.Plot
	entries int
}

// legend adds an entry to the panel's legend.
func (pn *panel) legend(label string, th ...plot.Thumbnailer) {
	pn.p.Legend.Add(label, th...)
	pn.entries++
}

// panels are a figure's plots, drawn one above the other.
type panels []*panel

// figure is one plot the report shows: its file stem and its caption.
type figure struct {
	stem, caption string
	p             panels
	svg           []byte // the SVG save wrote, for the HTML page
	here          bool   // the PNG and SVG files sit beside the page, not under plots/
}

// legendLine is the height of one legend entry below a panel.
const legendLine = 0.5 * vg.Centimeter

// size is the figure's size: every panel with its legend below it.
func (f *figure) size() (w, h vg.Length) {
	for _, pn := range f.p {
		h += plotHeight + vg.Length(pn.entries)*legendLine + 0.3*vg.Centimeter
	}
	return plotWidth, h
}

// draw draws the panels top to bottom, each with its legend below the
// plotting area, so no legend covers data.
func (f *figure) draw(c draw.Canvas) {
	y := c.Max.Y
	for _, pn := range f.p {
		lh := vg.Length(pn.entries)*legendLine + 0.3*vg.Centimeter
		area := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: y - plotHeight}, Max: vg.Point{X: c.Max.X, Y: y}}}
		leg := pn.p.Legend
		pn.p.Legend = plot.NewLegend()
		area.Min.X += slantRoom(pn.p, area)
		pn.p.Draw(area)
		pn.p.Legend = leg
		if pn.entries > 0 {
			la := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: c.Min.X + vg.Centimeter, Y: y - plotHeight - lh},
				Max: vg.Point{X: c.Max.X, Y: y - plotHeight}}}
			leg.Top, leg.Left = true, true
			leg.XOffs, leg.YOffs = 0, 0
			leg.Draw(la)
		}
		y -= plotHeight + lh
	}
}

// save writes a figure as PNG and SVG under dir/plots.
func (f *figure) save(dir string) error {
	pd := filepath.Join(dir, "plots")
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return err
	}
	w, h := f.size()
	for _, ext := range []string{"png", "svg"} {
		c, err := draw.NewFormattedCanvas(w, h, ext)
		if err != nil {
			return fmt.Errorf("plot %s.%s: %w", f.stem, ext, err)
		}
		f.draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("plot %s.%s: %w", f.stem, ext, err)
		}
		if ext == "svg" {
			f.svg = buf.Bytes()
		}
		if err := os.WriteFile(filepath.Join(pd, f.stem+"."+ext), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("plot %s.%s: %w", f.stem, ext, err)
		}
	}
	return nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

// numberTicks labels an axis with plain numbers ("25", "1.5", "25000",
// never "25.00"), each a tick's value times scale, followed by unit.
type numberTicks struct {
	scale float64
	unit  string
}

var (
	// percentTicks labels a 0–1 axis in percent.
	percentTicks = numberTicks{scale: 100, unit: "%"}
	// plainTicks labels seconds, or a numeric knob's values; the axis's
	// label carries the unit.
	plainTicks = numberTicks{scale: 1}
)

func (t numberTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(math.Round(1e6*t.scale*ts[i].Value)/1e6, 'f', -1, 64) + t.unit
		}
	}
	return ts
}

// chunks splits n series into panels of at most panelSeries.
func chunks(n int) [][2]int {
	var out [][2]int
	for i := 0; i < n; i += panelSeries {
		out = append(out, [2]int{i, min(n, i+panelSeries)})
	}
	if len(out) == 0 {
		out = [][2]int{{0, 0}}
	}
	return out
}

// facetTitle numbers the panels of a faceted figure.
func facetTitle(title string, k, n int) string {
	if n == 1 {
		return title
	}
	return fmt.Sprintf("%s (%d of %d)", title, k+1, n)
}

// cdfPlot draws one CDF line per labelled histogram (values in ms, drawn
// in seconds) over all runs of its group (totals), so a curve levels off at
// the share of runs that got there. Groups with no value are left out; the
// caller draws nothing when every group is empty.
func cdfPlot(title string, labels []string, hs []*hist, totals []int) (panels, error) {
	var idx []int
	for i, h := range hs {
		if h.n > 0 && totals[i] > 0 {
			idx = append(idx, i)
		}
	}
	var out panels
	cs := chunks(len(idx))
	for k, ch := range cs {
		pn := &panel{p: newPlot(facetTitle(title, k, len(cs)), "time since the login started (s)", "share of all runs at or below")}
		pn.p.Y.Min, pn.p.Y.Max = 0, 1
		pn.p.Y.Tick.Marker = percentTicks
		pn.p.X.Min = 0
		pn.p.X.Tick.Marker = plainTicks
		for j, i := range idx[ch[0]:ch[1]] {
			h := hs[i]
			xs, ys := h.cdf(maxCDF)
			scale := float64(h.n) / float64(totals[i])
			pts := make(plotter.XYs, 0, 2*len(xs)+1)
			pts = append(pts, plotter.XY{X: 0, Y: 0})
			prev := 0.0
			for q := range xs {
				x := xs[q] / 1000
				y := ys[q] * scale
				pts = append(pts, plotter.XY{X: x, Y: prev}, plotter.XY{X: x, Y: y})
				prev = y
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = seriesColor(j)
			l.Dashes = plotutil.Dashes(j)
			l.Width = vg.Points(1.4)
			pn.p.Add(l)
			pn.legend(fmt.Sprintf("%s (%d of %d runs)", labels[i], h.n, totals[i]), l)
		}
		out = append(out, pn)
	}
	return out, nil
}

// errPoints are values with asymmetric error bars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// axisPlot starts a plot against axis a, y from 0: x is the value when the
// axis is numeric, else its position, with the values as tick labels.
func axisPlot(title, ylabel string, a Axis) (p *plot.Plot, xs []float64, numeric bool) {
	p = newPlot(title, a.Path, ylabel)
	p.Y.Min = 0
	numeric = numericAxis(a)
	if !numeric {
		nominal(p, axisLabels(a))
	} else {
		p.X.Tick.Marker = plainTicks
	}
	return p, axisX(a, numeric), numeric
}

// dodge spreads the points of the series of a categorical axis a little
// apart, so their error bars do not cover each other.
func dodge(x float64, j, n int, numeric bool) float64 {
	if numeric || n <= 1 {
		return x
	}
	return x + (float64(j)-float64(n-1)/2)*0.35/float64(n)
}

// ratePlot draws rates in percent with their Wilson intervals against an
// axis, at most panelSeries series per panel (faceting the rest). On a
// numeric axis the points of a series are joined; on a categorical axis
// they are dots with error bars, never joined.
func ratePlot(title, ylabel string, a Axis, ss []series, k func(*group) int) (panels, error) {
	var out panels
	cs := chunks(len(ss))
	for c, ch := range cs {
		p, xs, numeric := axisPlot(facetTitle(title, c, len(cs)), ylabel, a)
		pn := &panel{p: p}
		p.Y.Tick.Marker = percentTicks
		top := 0.0
		part := ss[ch[0]:ch[1]]
		for i, s := range part {
			var ep errPoints
			for j, g := range s.groups {
				if g.n == 0 {
					continue
				}
				rate := float64(k(g)) / float64(g.n)
				lo, hi := Wilson(k(g), g.n)
				ep.XYs = append(ep.XYs, plotter.XY{X: dodge(xs[j], i, len(part), numeric), Y: rate})
				ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{rate - lo, hi - rate})
				top = max(top, hi)
			}
			if len(ep.XYs) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(ep.XYs)
			if err != nil {
				return nil, err
			}
			l.Color, sc.Color, sc.Shape = seriesColor(i), seriesColor(i), plotutil.Shape(i)
			eb, err := plotter.NewYErrorBars(ep)
			if err != nil {
				return nil, err
			}
			eb.Color = seriesColor(i)
			if !numeric {
				p.Add(sc, eb)
				pn.legend(s.label, sc)
				continue
			}
			p.Add(l, sc, eb)
			pn.legend(s.label, l, sc)
		}
		headroom(p, top)
		padX(p, xs, numeric)
		out = append(out, pn)
	}
	return out, nil
}

// headroom sets the y range from 0 to a little above the data (at most
// 100% for a share).
func headroom(p *plot.Plot, top float64) {
	p.Y.Max = max(top, 0.01) * 1.1
	if top <= 1 {
		p.Y.Max = min(p.Y.Max, 1)
	}
}

// padX widens the x range a little so error bars at the ends show; a
// categorical axis gets half a category on each side (its points are
// dodged within that).
func padX(p *plot.Plot, xs []float64, numeric bool) {
	if len(xs) == 0 {
		return
	}
	if !numeric {
		p.X.Min, p.X.Max = -0.5, float64(len(xs))-0.5
		return
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	pad := (hi - lo) * 0.05
	if pad == 0 {
		pad = 0.5
	}
	p.X.Min, p.X.Max = lo-pad, hi+pad
}

// meanPlot draws a mean per axis value, at most panelSeries series per
// panel; joined on a numeric axis, dots on a categorical one. val gives a
// group's mean and the half-width of its 95% interval (0: none drawn);
// ok false leaves the group out.
func meanPlot(title, ylabel string, a Axis, ss []series, val func(*group) (mean, half float64, ok bool)) (panels, error) {
	var out panels
	cs := chunks(len(ss))
	for c, ch := range cs {
		p, xs, numeric := axisPlot(facetTitle(title, c, len(cs)), ylabel, a)
		pn := &panel{p: p}
		top := 0.0
		part := ss[ch[0]:ch[1]]
		for i, s := range part {
			var ep errPoints
			bars := false
			for j, g := range s.groups {
				if m, h, ok := val(g); ok {
					ep.XYs = append(ep.XYs, plotter.XY{X: dodge(xs[j], i, len(part), numeric), Y: m})
					ep.YErrors = append(ep.YErrors, struct{ Low, High float64 }{min(h, m), h})
					top = max(top, m+h)
					bars = bars || h > 0
				}
			}
			if len(ep.XYs) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(ep.XYs)
			if err != nil {
				return nil, err
			}
			l.Color, sc.Color, sc.Shape = seriesColor(i), seriesColor(i), plotutil.Shape(i)
			th := []plot.Thumbnailer{sc}
			if numeric {
				p.Add(l)
				th = []plot.Thumbnailer{l, sc}
			}
			p.Add(sc)
			if bars {
				eb, err := plotter.NewYErrorBars(ep)
				if err != nil {
					return nil, err
				}
				eb.Color = seriesColor(i)
				p.Add(eb)
			}
			pn.legend(s.label, th...)
		}
		p.Y.Max = max(top, 1) * 1.1
		padX(p, xs, numeric)
		out = append(out, pn)
	}
	return out, nil
}

func axisX(a Axis, numeric bool) []float64 {
	xs := make([]float64, len(a.Values))
	for i, v := range a.Values {
		if f, ok := valueNumber(v); ok && numeric {
			xs[i] = f
		} else {
			xs[i] = float64(i)
		}
	}
	return xs
}

func axisLabels(a Axis) []string {
	out := make([]string, len(a.Values))
	for i, v := range a.Values {
		out[i] = valueText(v)
	}
	return out
}

// stackedPlot draws, for each named bar, the share of its runs in each
// layer, stacked, in percent (at most len(okabeIto) layers, each its own
// colour).
func stackedPlot(title string, bars []string, layers []string, frac [][]float64) (panels, error) {
	p := newPlot(title, "", "share of runs")
	p.Y.Tick.Marker = percentTicks
	return stackBars(p, bars, layers, frac)
}

// stackBars draws one stacked bar per name of bars on p: layer i's value
// at bar j is vals[i][j], each layer its own colour and legend entry.
func stackBars(p *plot.Plot, bars []string, layers []string, vals [][]float64) (panels, error) {
	pn := &panel{p: p}
	p.Y.Min = 0
	w := vg.Points(max(6, min(40, 300/float64(max(len(bars), 1)))))
	var below *plotter.BarChart
	top := make([]float64, len(bars))
	for i, name := range layers {
		vs := make(plotter.Values, len(bars))
		copy(vs, vals[i])
		for j, v := range vs {
			top[j] += v
		}
		bc, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return nil, err
		}
		bc.Color = seriesColor(i)
		bc.LineStyle.Width = 0
		if below != nil {
			bc.StackOn(below)
		}
		below = bc
		p.Add(bc)
		pn.legend(name, bc)
	}
	nominal(p, bars)
	m := 0.0
	for _, t := range top {
		m = max(m, t)
	}
	headroom(p, m)
	p.X.Min, p.X.Max = -0.6, float64(len(bars))-0.4
	return panels{pn}, nil
}

// nominal labels the x axis with categories, slanted when they would not
// fit side by side.
func nominal(p *plot.Plot, labels []string) {
	p.NominalX(labels...)
	total := 0
	for _, l := range labels {
		total += len(l) + 2
	}
	if total > 70 {
		p.X.Tick.Label.Rotation = 0.5
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YTop
	}
}
