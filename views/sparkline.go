package views

import (
	"strconv"
	"strings"
)

// Sparkline is a tiny trend line drawn as inline SVG: no script, nothing to load.
type Sparkline struct {
	Points string // the polyline's points
	Width  int
	Height int
	Label  string // what the line shows, for screen readers
}

// NewSparkline scales values into a width × height box (the highest value touches the top, zero
// the bottom edge).
func NewSparkline(values []int64, width, height int, label string) Sparkline {
	s := Sparkline{Width: width, Height: height, Label: label}
	if len(values) == 0 {
		return s
	}
	var hi int64
	for _, v := range values {
		hi = max(hi, v)
	}
	const pad = 1
	var b strings.Builder
	for i, v := range values {
		x := pad
		if len(values) > 1 {
			x = pad + i*(width-2*pad)/(len(values)-1)
		}
		y := height - pad
		if hi > 0 {
			y = height - pad - int(v*int64(height-2*pad)/hi)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(x))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(y))
	}
	s.Points = b.String()
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
