package lab

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// viridis are five stops of the viridis colour map (van der Walt and
// Smith, matplotlib 2.0): sequential, even in lightness, and readable with
// the common colour-vision deficiencies and in grey. A cell's colour is
// interpolated between them from its success rate.
var viridis = [5][3]float64{
	{0x44, 0x01, 0x54}, {0x3B, 0x52, 0x8B}, {0x21, 0x90, 0x8C}, {0x5D, 0xC8, 0x63}, {0xFD, 0xE7, 0x25},
}

func rateColor(p float64) color.Color {
	p = min(1, max(0, p)) * float64(len(viridis)-1)
	i := min(int(p), len(viridis)-2)
	f := p - float64(i)
	var c [3]uint8
	for k := range c {
		c[k] = uint8(math.Round(viridis[i][k]*(1-f) + viridis[i+1][k]*f))
	}
	return color.RGBA{c[0], c[1], c[2], 0xFF}
}

// heat draws one intent's cells: a coloured square per pair, labelled
// with its success rate in percent (white on the dark half of the map).
type heat struct {
	m      *CompatMatrix
	intent string
}

func (h heat) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	ps := h.m.Options.Presets
	sty := draw.TextStyle{Color: color.Black, Font: p.X.Tick.Label.Font, XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: p.X.Tick.Label.Handler}
	for i, n := range ps {
		for j, e := range ps {
			cell := h.m.Cell(h.intent, n, e)
			if cell == nil {
				continue
			}
			x0, x1 := tx(float64(j)-0.5), tx(float64(j)+0.5)
			y0, y1 := ty(float64(len(ps)-1-i)-0.5), ty(float64(len(ps)-1-i)+0.5)
			rect := c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			c.FillPolygon(rateColor(cell.Rate()), rect)
			sty.Color = color.Black
			if cell.Rate() < 0.6 {
				sty.Color = color.White
			}
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, fmt.Sprintf("%.0f%%", 100*cell.Rate()))
		}
	}
}

// heatPlot is one intent's heatmap: the existing device's preset across,
// the new device's down (first row on top).
func (m *CompatMatrix) heatPlot(intent string) *plot.Plot {
	p := plot.New()
	ps := m.Options.Presets
	p.Title.Text = fmt.Sprintf("Login success rate, intent %s (%s, %d runs per cell)", intent, m.Options.Network, m.Options.Runs)
	p.X.Label.Text = "existing device's client (and its servers)"
	p.Y.Label.Text = "new device's client"
	p.Add(heat{m: m, intent: intent})
	p.X.Min, p.X.Max = -0.5, float64(len(ps))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ps))-0.5
	xt := make([]plot.Tick, len(ps))
	yt := make([]plot.Tick, len(ps))
	for i, n := range ps {
		xt[i] = plot.Tick{Value: float64(i), Label: n}
		yt[i] = plot.Tick{Value: float64(len(ps) - 1 - i), Label: n}
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	return p
}

// heatmaps draws the heatmaps of intents, stacked, in format ext (png
// or svg).
func (m *CompatMatrix) heatmaps(intents []string, ext string) ([]byte, error) {
	side := vg.Length(2*len(m.Options.Presets))*vg.Centimeter + 6*vg.Centimeter
	w, h := side, side*vg.Length(len(intents))
	c, err := draw.NewFormattedCanvas(w, h, ext)
	if err != nil {
		return nil, err
	}
	dc := draw.New(c)
	for k, in := range intents {
		top := h - side*vg.Length(k)
		area := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: 0, Y: top - side}, Max: vg.Point{X: w, Y: top}}}
		m.heatPlot(in).Draw(area)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WritePlots writes the heatmaps, one per intent stacked, as
// dir/compat.png and dir/compat.svg.
func (m *CompatMatrix) WritePlots(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, ext := range []string{"png", "svg"} {
		b, err := m.heatmaps(m.intents(), ext)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "compat."+ext), b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("compat.%s: %w", ext, err)
		}
	}
	return nil
}
