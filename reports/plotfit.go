package reports

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// slantRoom is how far a plot drawn in area must move right for its
// slanted x tick labels (nominal) to stay inside the picture: gonum leaves
// room below the axis for them, not to the left of the first one.
func slantRoom(p *plot.Plot, area draw.Canvas) vg.Length {
	if p.X.Tick.Label.Rotation == 0 {
		return 0
	}
	const margin = 2 * vg.Millimeter
	var pad vg.Length
	for range 3 { // moving the plot narrows it: settle in a few steps
		a := area
		a.Min.X += pad
		dc := p.DataCanvas(a)
		need := vg.Length(0)
		for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			if t.Label == "" {
				continue
			}
			reach := dc.X(p.X.Norm(t.Value)) + p.X.Tick.Label.Rectangle(t.Label).Min.X
			need = max(need, area.Min.X+margin-reach)
		}
		if need <= pad {
			break
		}
		pad = need
	}
	return pad
}
