package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadlens/leadlens/internal/pagetest"
	"github.com/leadlens/leadlens/internal/synth"
)

// fixtureNow is "today" for handler tests over synth.Fixture: 4 Nov 2026, afternoon in New York.
var fixtureNow = time.Date(2026, 11, 4, 18, 0, 0, 0, time.UTC)

// fixtureEnv is a server over synth.Fixture and an admin's signed-in HTTP client.
func fixtureEnv(t *testing.T) (*testEnv, *synth.Fixture, *http.Client) {
	t.Helper()
	e := newTestEnv(t, func(d *Deps) { d.Now = func() time.Time { return fixtureNow } })
	f, err := synth.LoadFixture(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	pw := e.addUser("admin@example.com", "admin", 0)
	return e, f, e.login("admin@example.com", pw)
}

// getPage fetches and parses a page.
func (e *testEnv) getPage(c *http.Client, path string) *pagetest.Page {
	e.t.Helper()
	code, body := e.get(c, path)
	return pagetest.Parse(e.t, code, body)
}

// visibleDeltas is a tile's deltas as a person sees them.
func visibleDeltas(p *pagetest.Page, tile string) []string {
	var out []string
	for _, d := range p.TileDeltas(tile) {
		v, _, _ := strings.Cut(d, " | ")
		out = append(out, v)
	}
	return out
}
