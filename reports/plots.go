package reports

import (
	"fmt"
	"os"
	"path/filepath"

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

// figure is one plot the report shows: its file stem and its caption.
type figure struct {
	stem, caption string
	p             *plot.Plot
}

// save writes a figure as PNG and SVG under dir/plots.
func (f *figure) save(dir string) error {
	pd := filepath.Join(dir, "plots")
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return err
	}
	for _, ext := range []string{".png", ".svg"} {
		if err := f.p.Save(plotWidth, plotHeight, filepath.Join(pd, f.stem+ext)); err != nil {
			return fmt.Errorf("plot %s%s: %w", f.stem, ext, err)
		}
	}
	return nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// cdfPlot draws one CDF line per labelled histogram (values in ms, drawn
// in seconds) over all runs of its group (totals), so a curve levels off at
// the share of runs that got there.
func cdfPlot(title string, labels []string, hs []*hist, totals []int) (*plot.Plot, error) {
	p := newPlot(title, "seconds since the login started", "fraction of all runs at or below")
	p.Y.Min, p.Y.Max = 0, 1
	for i, h := range hs {
		if h.n == 0 || totals[i] == 0 {
			continue
		}
		xs, ys := h.cdf(maxCDF)
		scale := float64(h.n) / float64(totals[i])
		pts := make(plotter.XYs, 0, 2*len(xs))
		prev := 0.0
		for j := range xs {
			x := xs[j] / 1000
			y := ys[j] * scale
			pts = append(pts, plotter.XY{X: x, Y: prev}, plotter.XY{X: x, Y: y})
			prev = y
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / 7)
		l.Width = vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%d of %d runs)", labels[i], h.n, totals[i]), l)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.YOffs = vg.Centimeter
	return p, nil
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
	}
	return p, axisX(a, numeric), numeric
}

// ratePlot draws rates with their Wilson intervals against an axis: one
// line per series; x is the value when the axis is numeric, its position
// otherwise (with the values as tick labels).
func ratePlot(title, ylabel string, a Axis, ss []series, k func(*group) int) (*plot.Plot, error) {
	p, xs, numeric := axisPlot(title, ylabel, a)
	top := 0.0
	for i, s := range ss {
		var ep errPoints
		for j, g := range s.groups {
			if g.n == 0 {
				continue
			}
			rate := float64(k(g)) / float64(g.n)
			lo, hi := Wilson(k(g), g.n)
			ep.XYs = append(ep.XYs, plotter.XY{X: xs[j], Y: rate})
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
		l.Color, sc.Color, sc.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		eb, err := plotter.NewYErrorBars(ep)
		if err != nil {
			return nil, err
		}
		eb.Color = plotutil.Color(i)
		if !numeric && len(ss) == 1 {
			// Categories with nothing between them: points, no line.
			p.Add(sc, eb)
			p.Legend.Add(s.label, sc)
			continue
		}
		p.Add(l, sc, eb)
		p.Legend.Add(s.label, l, sc)
	}
	headroom(p, top, len(ss))
	padX(p, xs)
	return p, nil
}

// headroom leaves space above the data for a legend of n lines in the top
// left corner.
func headroom(p *plot.Plot, top float64, n int) {
	p.Legend.Left = true
	p.Y.Max = max(top, 0.01) * (1.15 + 0.08*float64(n))
	if top <= 1 {
		p.Y.Max = min(p.Y.Max, 1.0+0.1*float64(n))
	}
}

// padX widens the x range a little so error bars at the ends show.
func padX(p *plot.Plot, xs []float64) {
	if len(xs) == 0 {
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

// meanPlot draws a mean per axis value, one line per series.
func meanPlot(title, ylabel string, a Axis, ss []series, h func(*group) *hist) (*plot.Plot, error) {
	p, xs, _ := axisPlot(title, ylabel, a)
	top := 0.0
	for i, s := range ss {
		var pts plotter.XYs
		for j, g := range s.groups {
			if hh := h(g); hh.n > 0 {
				pts = append(pts, plotter.XY{X: xs[j], Y: hh.mean()})
				top = max(top, hh.mean())
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color, sc.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		p.Add(l, sc)
		p.Legend.Add(s.label, l, sc)
	}
	headroom(p, top, len(ss))
	padX(p, xs)
	return p, nil
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

// stackedPlot draws, for each category (bar), the fraction of its runs in
// each layer, stacked.
func stackedPlot(title string, bars []string, layers []string, frac [][]float64) (*plot.Plot, error) {
	p := newPlot(title, "", "fraction of runs")
	p.Y.Min = 0
	w := vg.Points(max(6, min(40, 300/float64(max(len(bars), 1)))))
	var below *plotter.BarChart
	top := make([]float64, len(bars))
	for i, name := range layers {
		vs := make(plotter.Values, len(bars))
		copy(vs, frac[i])
		for j, v := range vs {
			top[j] += v
		}
		bc, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return nil, err
		}
		bc.Color = plotutil.Color(i)
		bc.LineStyle.Width = 0
		if below != nil {
			bc.StackOn(below)
		}
		below = bc
		p.Add(bc)
		p.Legend.Add(name, bc)
	}
	nominal(p, bars)
	m := 0.0
	for _, t := range top {
		m = max(m, t)
	}
	headroom(p, m, len(layers))
	p.Legend.Left = false
	p.X.Min, p.X.Max = -0.6, float64(len(bars))-0.4
	return p, nil
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
