package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"sort"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// A small line chart drawn with the standard image packages and x/image's fixed 7x13 font: panels
// in a grid of two columns, each with its own axes, and one legend for all, by series name.

type point struct{ x, y float64 }

type series struct {
	name   string
	pts    []point
	dashed bool // a reference (the bare chaincode), drawn dashed
}

type panel struct {
	title, xLabel string
	logX          bool // x on a log2 scale (concurrency levels that double)
	series        []series
}

const (
	panelW, panelH = 620, 330
	marginL        = 64
	marginR        = 16
	marginT        = 28
	marginB        = 44
	legendRowH     = 16
	legendColW     = 205
)

var (
	white = color.RGBA{255, 255, 255, 255}
	ink   = color.RGBA{40, 40, 40, 255}
	grid  = color.RGBA{225, 225, 225, 255}
)

// palette gives series i of n a distinct, readable colour (hues spread around the wheel, two
// lightness bands alternating).
func palette(i, n int) color.RGBA {
	h := float64(i) / float64(max(n, 1)) * 360
	l := 0.40
	if i%2 == 1 {
		l = 0.30
	}
	return hsl(h, 0.75, l)
}

func hsl(h, s, l float64) color.RGBA {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return color.RGBA{uint8((r + m) * 255), uint8((g + m) * 255), uint8((b + m) * 255), 255}
}

// drawChart draws the panels and a legend of every series name into a PNG at path.
func drawChart(path string, panels []panel) error {
	names := seriesNames(panels)
	cols := 2
	rows := (len(panels) + cols - 1) / cols
	legendCols := (cols * panelW) / legendColW
	legendRows := (len(names) + legendCols - 1) / legendCols
	img := image.NewRGBA(image.Rect(0, 0, cols*panelW, max(rows, 1)*panelH+legendRows*legendRowH+12))
	draw.Draw(img, img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	colours := map[string]color.RGBA{}
	for i, n := range names {
		colours[n] = palette(i, len(names))
	}
	dashedNames := map[string]bool{}
	for _, p := range panels {
		for _, s := range p.series {
			dashedNames[s.name] = dashedNames[s.name] || s.dashed
		}
	}
	for i, p := range panels {
		drawPanel(img, image.Pt((i%cols)*panelW, (i/cols)*panelH), p, colours)
	}
	y0 := rows*panelH + 6
	for i, n := range names {
		x, y := (i%legendCols)*legendColW+marginL/2, y0+(i/legendCols)*legendRowH
		if dashedNames[n] {
			fillRect(img, image.Rect(x, y+4, x+7, y+8), colours[n])
			fillRect(img, image.Rect(x+11, y+4, x+18, y+8), colours[n])
		} else {
			fillRect(img, image.Rect(x, y+4, x+18, y+8), colours[n])
		}
		text(img, x+24, y+11, n, ink)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func seriesNames(panels []panel) []string {
	seen := map[string]bool{}
	var names []string
	for _, p := range panels {
		for _, s := range p.series {
			if !seen[s.name] {
				seen[s.name] = true
				names = append(names, s.name)
			}
		}
	}
	return names
}

func drawPanel(img *image.RGBA, at image.Point, p panel, colours map[string]color.RGBA) {
	plot := image.Rect(at.X+marginL, at.Y+marginT, at.X+panelW-marginR, at.Y+panelH-marginB)
	text(img, at.X+marginL, at.Y+18, p.title, ink)
	text(img, plot.Min.X+plot.Dx()/2-len(p.xLabel)*7/2, plot.Max.Y+36, p.xLabel, ink)
	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	var xs []float64
	for _, s := range p.series {
		for _, pt := range s.pts {
			xmin, xmax, ymax = math.Min(xmin, pt.x), math.Max(xmax, pt.x), math.Max(ymax, pt.y)
			xs = append(xs, pt.x)
		}
	}
	if len(xs) == 0 {
		return
	}
	fx := func(x float64) float64 { return x }
	if p.logX {
		fx = math.Log2
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	ystep := niceStep(ymax / 5)
	ytop := math.Max(ystep, math.Ceil(ymax/ystep)*ystep)
	px := func(x float64) int {
		return plot.Min.X + int(math.Round((fx(x)-fx(xmin))/(fx(xmax)-fx(xmin))*float64(plot.Dx())))
	}
	py := func(y float64) int { return plot.Max.Y - int(math.Round(y/ytop*float64(plot.Dy()))) }
	for y := 0.0; y <= ytop+ystep/2; y += ystep {
		line(img, plot.Min.X, py(y), plot.Max.X, py(y), grid)
		label := fmt.Sprintf("%g", y)
		text(img, plot.Min.X-8-len(label)*7, py(y)+4, label, ink)
	}
	for _, x := range ticks(xs, p.logX) {
		line(img, px(x), plot.Min.Y, px(x), plot.Max.Y, grid)
		label := fmt.Sprintf("%g", x)
		text(img, px(x)-len(label)*7/2, plot.Max.Y+16, label, ink)
	}
	line(img, plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y, ink)
	line(img, plot.Min.X, plot.Min.Y, plot.Min.X, plot.Max.Y, ink)
	for _, s := range p.series {
		c := colours[s.name]
		for i, pt := range s.pts {
			fillRect(img, image.Rect(px(pt.x)-2, py(pt.y)-2, px(pt.x)+3, py(pt.y)+3), c)
			if i > 0 {
				prev := s.pts[i-1]
				thickLine(img, px(prev.x), py(prev.y), px(pt.x), py(pt.y), c, s.dashed)
			}
		}
	}
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// ticks are the distinct x values (the concurrency levels) on a log scale, else about six steps.
func ticks(xs []float64, logX bool) []float64 {
	sort.Float64s(xs)
	if logX {
		var out []float64
		for _, x := range xs {
			if len(out) == 0 || out[len(out)-1] != x {
				out = append(out, x)
			}
		}
		return out
	}
	step := niceStep((xs[len(xs)-1] - xs[0]) / 6)
	var out []float64
	for x := math.Ceil(xs[0]/step) * step; x <= xs[len(xs)-1]; x += step {
		out = append(out, x)
	}
	return out
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r.Intersect(img.Bounds()), &image.Uniform{c}, image.Point{}, draw.Src)
}

// line draws a one-pixel line (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dashedLine(img, x0, y0, x1, y1, c, false)
}

// dashedLine draws a one-pixel line, dashed (6 on, 4 off) or not.
func dashedLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, dashed bool) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for n := 0; ; n++ {
		if !dashed || n%10 < 6 {
			img.SetRGBA(x0, y0, c)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func thickLine(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA, dashed bool) {
	dashedLine(img, x0, y0, x1, y1, c, dashed)
	dashedLine(img, x0, y0+1, x1, y1+1, c, dashed)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
