package handlers

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// isoUnknownToken is a well-formed share token of no link: what a caller without a link has.
const isoUnknownToken = "lls_0000000000000000000000000000000000000000000"

// isoVariants is how a route's URL is filled for caller p: mixes first (so a route that ignores
// its {slug} cannot pass by acting on the right client first), then A's and B's own values, then
// for reads the query edits of p's own client's URL.
func (w *isoWorld) isoVariants(method, pattern string, r *isoRoute, p *isoPrincipal) []isoVariant {
	a, b := w.a, w.b
	slug := strings.Contains(pattern, "{slug}")
	obj := len(r.ids) > 0 || r.bodyOwner
	var vs []isoVariant
	switch {
	case slug && obj:
		vs = []isoVariant{{name: "A's slug, B's id", scope: a, obj: b}, {name: "B's slug, A's id", scope: b, obj: a},
			{name: "unknown slug", unknownSlug: true, obj: a}, {name: "A's slug, unknown id", scope: a, unknownID: true},
			{name: "A", scope: a, obj: a}, {name: "B", scope: b, obj: b}}
	case slug:
		vs = []isoVariant{{name: "unknown slug", unknownSlug: true}, {name: "A", scope: a}, {name: "B", scope: b}}
	case obj:
		vs = []isoVariant{{name: "unknown id", unknownID: true}, {name: "A's id", obj: a}, {name: "B's id", obj: b}}
	default:
		vs = []isoVariant{{name: "as is"}}
	}
	if strings.Contains(pattern, "{token}") {
		vs = append([]isoVariant{{name: "tampered token", tampered: true, obj: a}}, vs...)
	}
	if method == http.MethodGet && !strings.HasPrefix(pattern, "/static/") {
		own := a
		if p.of != nil {
			own = p.of
		}
		for _, v := range vs {
			if v.unknownID || v.unknownSlug || v.tampered || (v.scope != nil && v.scope != own) || (v.obj != nil && v.obj != own) {
				continue
			}
			for _, e := range isoEdits {
				ev := v
				ev.name, ev.edit = v.name+", "+e.name, e
				vs = append(vs, ev)
			}
			break
		}
	}
	return vs
}

// other is the client p may not see (B, or A for B's viewer).
func (w *isoWorld) other(p *isoPrincipal) *isoClient {
	if p.of == w.b {
		return w.a
	}
	return w.b
}

// fill builds the path of variant v of pattern for caller p.
func (w *isoWorld) fill(pattern string, r *isoRoute, p *isoPrincipal, v isoVariant) string {
	path := pattern
	switch {
	case v.unknownSlug:
		path = strings.ReplaceAll(path, "{slug}", "no-such-client")
	case v.scope != nil:
		path = strings.ReplaceAll(path, "{slug}", v.scope.slug)
	}
	tok := p.token
	if tok == "" {
		tok = isoUnknownToken
	}
	if v.tampered {
		last := byte('A')
		if tok[len(tok)-1] == 'A' {
			last = 'B'
		}
		tok = tok[:len(tok)-1] + string(last)
	}
	path = strings.ReplaceAll(path, "{token}", tok)
	for name, id := range r.ids {
		val := "999999999"
		if !v.unknownID && v.obj != nil {
			val = id(v.obj)
		}
		path = strings.ReplaceAll(path, "{"+name+"}", val)
	}
	path = strings.NewReplacer("{version}", "v21.0", "{app_id}", "1234567").Replace(path)
	if strings.HasSuffix(path, "/*") {
		path = strings.TrimSuffix(path, "*") + "css/app.css"
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if v.edit != nil {
		path += "?" + v.edit.query(w.other(p))
	}
	return path
}

// check sends one case and reports what is wrong with its answer.
func (w *isoWorld) check(t *testing.T, route string, r *isoRoute, p *isoPrincipal, v isoVariant) {
	t.Helper()
	method, pattern, _ := strings.Cut(route, " ")
	path := w.fill(pattern, r, p, v)
	ctype, body := "", ""
	if method != http.MethodGet && method != http.MethodHead {
		ctype = "application/x-www-form-urlencoded"
		if r.form != nil {
			ctype, body = r.form(w, p, v)
		}
	}
	code, resp, hd := w.do(t, p, method, path, ctype, body)
	where := route + " as " + p.name + " (" + v.name + "): " + method + " " + path
	if want := r.expect(p, v); !slices.Contains(want, code) {
		t.Errorf("%s\ngot %d, want %v: %.300s", where, code, want, resp)
	}
	answer := resp + "\n" + hd.Get("Location") + "\n" + hd.Get("Content-Disposition")
	request := path + "\n" + body
	for _, c := range []*isoClient{w.a, w.b} {
		if p.sees(c) {
			continue
		}
		for _, m := range c.markers {
			// A value the caller sent may be echoed back ("page 888 is not yours"): that tells
			// nothing. Anything else of the other client is a leak.
			if !strings.Contains(request, m) && strings.Contains(answer, m) {
				t.Errorf("%s\nthe answer (%d) contains client %s's %q, which this caller may not see", where, code, c.key, m)
			}
		}
	}
	if code == http.StatusOK && r.shows != nil && v.edit == nil {
		target := v.scope
		if target == nil {
			target = v.obj
		}
		if target == nil {
			target = p.of
		}
		if target != nil && !strings.Contains(resp, r.shows(target)) {
			t.Errorf("%s\ngot 200 without %q: the answer is not about client %s", where, r.shows(target), target.key)
		}
	}
}

// TestIsolationMatrix runs every route as every caller (see isolation_test.go).
func TestIsolationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the isolation matrix sends thousands of requests")
	}
	w := newIsoWorld(t)
	table := isoRoutes()
	routes := walkRoutes(t, w.e.h)
	bEvents, bReferrals := w.rows("lead_events", w.b), w.rows("referrals", w.b)
	cases := 0
	run := func(t *testing.T, route string, p *isoPrincipal) {
		r := table[route]
		method, pattern, _ := strings.Cut(route, " ")
		for _, v := range w.isoVariants(method, pattern, r, p) {
			w.check(t, route, r, p, v)
			cases++
		}
	}
	// Reads: any order.
	var writes []string
	for _, route := range routes {
		r := table[route]
		switch {
		case r == nil:
			t.Errorf("route %q is not classified (see TestIsolationMatrixCoversEveryRoute)", route)
			continue
		case r.skip != "":
			t.Logf("not sent: %s: %s", route, r.skip)
			continue
		case !strings.HasPrefix(route, "GET ") && !strings.HasPrefix(route, "HEAD "):
			writes = append(writes, route)
			continue
		}
		t.Run(route, func(t *testing.T) {
			for _, p := range w.principals {
				run(t, route, p)
			}
		})
	}
	// Writes: caller by caller with the admin last, whose requests succeed; for each caller the
	// requests that remove things come after the others, and signing out last of all.
	slices.SortStableFunc(writes, func(x, y string) int { return table[x].order - table[y].order })
	callers := slices.Clone(w.principals)
	slices.SortStableFunc(callers, func(x, y *isoPrincipal) int {
		return boolInt(x.kind == isoAdmin) - boolInt(y.kind == isoAdmin)
	})
	for _, p := range callers {
		t.Run("writes as "+p.name, func(t *testing.T) {
			for _, route := range writes {
				run(t, route, p)
			}
		})
	}
	t.Logf("%d routes × %d callers: %d cases", len(routes), len(w.principals), cases)
	if got := w.rows("lead_events", w.b); got != bEvents {
		t.Errorf("client B's events: %d before the matrix, %d after; A's key stored events for B", bEvents, got)
	}
	if got := w.rows("referrals", w.b); got != bReferrals {
		t.Errorf("client B's referrals: %d before the matrix, %d after", bReferrals, got)
	}
}

// rows counts a client's rows in a table.
func (w *isoWorld) rows(table string, c *isoClient) int {
	w.t.Helper()
	return strings.Count(dumpTable(w.t, w.e.db, table), "client_id="+itoa(c.c.ID)+" ")
}
