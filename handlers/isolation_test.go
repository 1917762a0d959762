package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// The isolation matrix: every route × every kind of caller × the URL filled with client A's
// values, client B's, a mix of the two and ids that name nothing, plus query-parameter edits.
// Each answer must have the status the route's rule gives, and must not contain any marker of a
// client the caller may not see (isolation_world_test.go).
//
// Adding a route? TestIsolationMatrixCoversEveryRoute fails until isoRoutes below says who may
// call it: pick an expectation (public, userPage, clientPage, adminPage, sharePage, eventAPI, …
// or a new one), say which URL parameters name a client's objects (ids), and give a POST a form.

// isoExpect is a route's rule: the statuses caller p may get for variant v.
type isoExpect func(p *isoPrincipal, v isoVariant) []int

// isoRoute is one row of the matrix.
type isoRoute struct {
	expect isoExpect
	// ids fills URL parameters that name one client's objects ({id}, {account}, {page}).
	ids map[string]func(*isoClient) string
	// bodyOwner makes the variants name A's or B's objects in the body (the event API).
	bodyOwner bool
	// form builds a POST's body; nil posts an empty form.
	form func(w *isoWorld, p *isoPrincipal, v isoVariant) (contentType, body string)
	// shows is what a 200 answer about client c must contain, proving the page is about c.
	shows func(c *isoClient) string
	// rangeAware routes apply a share link's dates (a period outside a bounded link is 400).
	rangeAware bool
	// order sorts POSTs: 0 first, 1 those that remove what others use, 2 archiving, 3 sign-out.
	order int
	// skip says why this method is not sent; the route is still classified.
	skip string
}

// isoVariant is how a route's URL (or body) is filled.
type isoVariant struct {
	name        string
	scope       *isoClient // named by {slug}; nil without one
	obj         *isoClient // owner of the other ids; nil without any
	unknownSlug bool       // a slug of no client
	unknownID   bool       // ids that name nothing
	tampered    bool       // the share token with its last character changed
	edit        *isoEdit
}

// isoEdit is a query-parameter edit of a GET.
type isoEdit struct {
	name       string
	query      func(other *isoClient) string // other: a client the caller may not see
	outOfRange bool
}

var isoEdits = []*isoEdit{
	{name: "other client in the query", query: func(o *isoClient) string {
		return url.Values{"client": {o.slug}, "client_id": {strconv.FormatInt(o.c.ID, 10)}, "slug": {o.slug}, "account": {"act_" + o.account},
			"campaign_id": {o.campaign}, "id": {o.campaign}, "page_id": {o.page}}.Encode()
	}},
	{name: "another level", query: func(*isoClient) string { return "level=adset&ctx=0" }},
	{name: "another period", query: func(*isoClient) string { return "range=custom&since=2026-10-01&until=2026-11-04&compare=1" }},
	{name: "a period outside a bounded link", query: func(*isoClient) string { return "range=custom&since=2020-01-01&until=2020-01-31" },
		outOfRange: true},
}

func one(s ...int) []int { return s }

// signIn is what a caller who is not signed in gets from a page behind requireUser.
func signIn(v isoVariant, method string) []int {
	if method == http.MethodGet {
		return one(http.StatusSeeOther)
	}
	return one(http.StatusUnauthorized)
}

// mismatch reports whether v's ids cannot be reached through its URL: unknown, or of another
// client than the {slug}.
func (v isoVariant) mismatch() bool {
	return v.unknownSlug || v.unknownID || v.scope != nil && v.obj != nil && v.scope != v.obj
}

func public(status int) isoExpect {
	return func(*isoPrincipal, isoVariant) []int { return one(status) }
}

// userPage: requireUser.
func userPage(method string, ok ...int) isoExpect {
	return func(p *isoPrincipal, v isoVariant) []int {
		if !p.isUser() {
			return signIn(v, method)
		}
		return ok
	}
}

// clientPage: requireUser + clientScope (+ the ids must be the client's).
func clientPage(method string, ok ...int) isoExpect {
	return func(p *isoPrincipal, v isoVariant) []int {
		switch {
		case !p.isUser():
			return signIn(v, method)
		case v.unknownSlug || !p.sees(v.scope) || v.mismatch():
			return one(http.StatusNotFound)
		}
		return ok
	}
}

// adminPage: requireAdmin (+ clientScope and the ids must be the client's).
func adminPage(method string, ok ...int) isoExpect {
	return func(p *isoPrincipal, v isoVariant) []int {
		switch {
		case !p.isUser():
			return signIn(v, method)
		case p.kind != isoAdmin:
			return one(http.StatusForbidden)
		case v.mismatch():
			return one(http.StatusNotFound)
		}
		return ok
	}
}

// sharePage: /s/{token}: only the token counts; other callers hold no link (404).
func sharePage(route *isoRoute, ok int) isoExpect {
	return func(p *isoPrincipal, v isoVariant) []int {
		switch {
		case v.tampered:
			return one(http.StatusNotFound)
		case p.kind == isoShareLocked:
			return one(http.StatusUnauthorized)
		case p.kind == isoShareGone:
			return one(http.StatusGone)
		case p.kind != isoShare, v.unknownID, v.obj != nil && v.obj != p.of:
			return one(http.StatusNotFound)
		case v.edit != nil && v.edit.outOfRange && route.rangeAware && p.bounded:
			return one(http.StatusBadRequest)
		}
		return one(ok)
	}
}

// eventAPI: an API key logs for its own client's pages only.
func eventAPI(p *isoPrincipal, v isoVariant) []int {
	switch {
	case p.kind != isoAPIKey:
		return one(http.StatusUnauthorized)
	case v.unknownID || v.obj != p.of:
		return one(http.StatusForbidden)
	}
	return one(http.StatusOK)
}

// isoRoutes classifies every route of Routes().
func isoRoutes() map[string]*isoRoute {
	campaign := map[string]func(*isoClient) string{"id": func(c *isoClient) string { return c.campaign }}
	run := map[string]func(*isoClient) string{"id": func(c *isoClient) string { return strconv.FormatInt(c.runID, 10) }}
	user := map[string]func(*isoClient) string{"id": func(c *isoClient) string { return strconv.FormatInt(c.spareUserID, 10) }}
	key := map[string]func(*isoClient) string{"id": func(c *isoClient) string { return strconv.FormatInt(c.spareKeyID, 10) }}
	link := map[string]func(*isoClient) string{"id": func(c *isoClient) string { return strconv.FormatInt(c.spareLinkID, 10) }}
	account := map[string]func(*isoClient) string{"account": func(c *isoClient) string { return c.spareAccount }}
	page := map[string]func(*isoClient) string{"page": func(c *isoClient) string { return c.sparePage }}
	name := func(c *isoClient) string { return c.name }
	campaignName := func(c *isoClient) string { return c.campaignName }
	adsetName := func(c *isoClient) string { return c.adsetName }
	spend := func(c *isoClient) string { return c.spendText }
	logo := func(c *isoClient) string { return string(c.logo) }
	const get, post = http.MethodGet, http.MethodPost
	ok := http.StatusOK
	done, refused := http.StatusSeeOther, http.StatusBadRequest

	rs := map[string]*isoRoute{
		"GET /healthz":  {expect: public(ok)},
		"GET /readyz":   {expect: public(ok)},
		"GET /static/*": {expect: public(ok)},
		"GET /login": {expect: func(p *isoPrincipal, v isoVariant) []int {
			if p.isUser() {
				return one(done)
			}
			return one(ok)
		}},
		"POST /login":  {expect: public(http.StatusUnauthorized), form: wrongSignIn},
		"POST /logout": {expect: public(done), order: 3},
		"GET /metrics": {expect: func(p *isoPrincipal, v isoVariant) []int {
			switch {
			case p.kind == isoAdmin:
				return one(ok)
			case p.isUser():
				return one(http.StatusForbidden)
			}
			return one(http.StatusUnauthorized)
		}},

		"GET /":                              {expect: userPage(get, ok), shows: name},
		"GET /clients/{slug}/":               {expect: clientPage(get, ok), shows: campaignName},
		"GET /clients/{slug}/campaigns/{id}": {expect: clientPage(get, ok), ids: campaign, shows: adsetName},
		"GET /clients/{slug}/export.csv":     {expect: clientPage(get, ok), shows: spend},
		"GET /clients/{slug}/logo":           {expect: clientPage(get, ok), shows: logo},
		"POST /clients/{slug}/refresh": {expect: func(p *isoPrincipal, v isoVariant) []int {
			if r := clientPage(post, done)(p, v); r[0] != done || p.kind != isoViewer {
				return r
			}
			return one(http.StatusForbidden) // a viewer of the client may see it, not refresh it
		}},

		"GET /s/{token}/":                          {shows: campaignName, rangeAware: true},
		"GET /s/{token}/campaigns/{id}":            {ids: campaign, shows: adsetName, rangeAware: true},
		"GET /s/{token}/export.csv":                {shows: spend, rangeAware: true},
		"GET /s/{token}/logo":                      {shows: logo},
		"POST /s/{token}/unlock":                   {form: unlockForm},
		"POST /api/v1/page_activities":             {expect: eventAPI, bodyOwner: true, form: pageActivitiesForm},
		"POST /{version}/{app_id}/page_activities": {expect: eventAPI, bodyOwner: true, form: pageActivitiesForm},
		"POST /api/v1/referrals":                   {expect: eventAPI, bodyOwner: true, form: referralForm},

		"GET /admin":                    {expect: adminPage(get, ok)},
		"POST /admin/refresh":           {expect: adminPage(post, done)},
		"GET /admin/runs":               {expect: adminPage(get, ok)},
		"GET /admin/runs/{id}":          {expect: adminPage(get, ok), ids: run},
		"GET /admin/runs/{id}/progress": {expect: adminPage(get, ok), ids: run},
		"GET /admin/meta":               {expect: adminPage(get, ok)},
		"POST /admin/meta/token":        {expect: adminPage(post, done, refused)},
		"POST /admin/meta/token/remove": {expect: adminPage(post, done), order: 1},
		"POST /admin/meta/test":         {expect: adminPage(post, ok, done, refused)},
		"GET /admin/users":              {expect: adminPage(get, ok)},
		"POST /admin/users":             {expect: adminPage(post, refused)},
		"POST /admin/users/{id}/role":   {expect: adminPage(post, done, refused), ids: user},
		"POST /admin/users/{id}/remove": {expect: adminPage(post, done), ids: user, order: 1},
		"GET /admin/clients":            {expect: adminPage(get, ok)},
		"POST /admin/clients":           {expect: adminPage(post, refused)},

		"GET /admin/clients/{slug}":                            {expect: adminPage(get, ok), shows: name},
		"POST /admin/clients/{slug}":                           {expect: adminPage(post, done, refused)},
		"POST /admin/clients/{slug}/archive":                   {expect: adminPage(post, done), order: 2},
		"POST /admin/clients/{slug}/logo":                      {expect: adminPage(post, done, refused)},
		"POST /admin/clients/{slug}/logo/remove":               {expect: adminPage(post, done), order: 1},
		"POST /admin/clients/{slug}/accounts":                  {expect: adminPage(post, done, refused)},
		"POST /admin/clients/{slug}/accounts/{account}/remove": {expect: adminPage(post, done), ids: account, order: 1},
		"POST /admin/clients/{slug}/accounts/{account}/token":  {expect: adminPage(post, done, refused), ids: account},
		"POST /admin/clients/{slug}/accounts/{account}/test":   {expect: adminPage(post, ok, done, refused), ids: account},
		"POST /admin/clients/{slug}/pages":                     {expect: adminPage(post, done, refused)},
		"POST /admin/clients/{slug}/pages/{page}/remove":       {expect: adminPage(post, done), ids: page, order: 1},
		"GET /admin/clients/{slug}/api-keys":                   {expect: adminPage(get, ok), shows: name},
		"POST /admin/clients/{slug}/api-keys":                  {expect: adminPage(post, ok, done)},
		"POST /admin/clients/{slug}/api-keys/{id}/revoke":      {expect: adminPage(post, done), ids: key, order: 1},
		"GET /admin/clients/{slug}/forwarding":                 {expect: adminPage(get, ok), shows: name},
		"POST /admin/clients/{slug}/forwarding":                {expect: adminPage(post, refused)},
		"POST /admin/clients/{slug}/forwarding/retry-failed":   {expect: adminPage(post, done)},
		"GET /admin/clients/{slug}/share-links":                {expect: adminPage(get, ok), shows: name},
		"POST /admin/clients/{slug}/share-links":               {expect: adminPage(post, ok)},
		"POST /admin/clients/{slug}/share-links/{id}/revoke":   {expect: adminPage(post, done), ids: link, order: 1},
	}
	for _, m := range []string{"HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY", "CONNECT"} {
		// The embedded file server answers every caller and method alike.
		r := &isoRoute{expect: public(ok)}
		if m == "CONNECT" {
			r.skip = "net/http's client sends CONNECT without a path"
		}
		rs[m+" /static/*"] = r
	}
	for k, r := range rs {
		if strings.HasPrefix(k, "GET /s/") || strings.HasPrefix(k, "POST /s/") {
			status := ok
			if strings.HasPrefix(k, "POST") {
				status = done
			}
			r.expect = sharePage(r, status)
		}
	}
	return rs
}

func wrongSignIn(w *isoWorld, _ *isoPrincipal, _ isoVariant) (string, string) {
	return "application/x-www-form-urlencoded", url.Values{"email": {"nobody-" + strconv.FormatInt(w.ip.Load(), 10) + "@iso.example"},
		"password": {"not-the-password"}}.Encode()
}

func unlockForm(_ *isoWorld, p *isoPrincipal, _ isoVariant) (string, string) {
	pw := p.password
	if pw == "" {
		pw = "wrong-password-123"
	}
	return "application/x-www-form-urlencoded", url.Values{"password": {pw}}.Encode()
}

// ownerPage is the page (and ad) the event API body names for v.
func ownerPage(v isoVariant) (string, string) {
	if v.unknownID || v.obj == nil {
		return "999999999", "999999999"
	}
	return v.obj.page, v.obj.ad
}

func pageActivitiesForm(w *isoWorld, _ *isoPrincipal, v isoVariant) (string, string) {
	pg, ad := ownerPage(v)
	return "application/json", `{"custom_events":[{"_eventName":"lead_submitted","event_id":"iso-` + strconv.FormatInt(w.ip.Load(), 10) +
		`"}],"advertiser_tracking_enabled":1,"application_tracking_enabled":1,"page_id":"` + pg +
		`","page_scoped_user_id":"42","ad_id":"` + ad + `","logging_source":"messenger_bot","logging_target":"page"}`
}

func referralForm(_ *isoWorld, _ *isoPrincipal, v isoVariant) (string, string) {
	pg, ad := ownerPage(v)
	return "application/json", `{"page_id":"` + pg + `","page_scoped_user_id":"42","referral":{"ad_id":"` + ad +
		`","source":"ADS","type":"OPEN_THREAD"},"referred_at":` + strconv.FormatInt(isoNow.Unix(), 10) + `}`
}

// walkRoutes lists "METHOD pattern" of every route.
func walkRoutes(t *testing.T, h *Handler) []string {
	t.Helper()
	var out []string
	err := chi.Walk(h.Routes().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestIsolationMatrixCoversEveryRoute fails when a route exists that the matrix does not
// classify, or the matrix lists one that is gone: no route can skip the isolation checks.
func TestIsolationMatrixCoversEveryRoute(t *testing.T) {
	e := newTestEnv(t)
	table := isoRoutes()
	walked := walkRoutes(t, e.h)
	for _, k := range walked {
		if table[k] == nil {
			t.Errorf("route %q is not in the isolation matrix: add it to isoRoutes in handlers/isolation_test.go, saying who may call it", k)
		}
	}
	for k := range table {
		if !slices.Contains(walked, k) {
			t.Errorf("the isolation matrix lists %q, which Routes() no longer has: remove it from isoRoutes", k)
		}
	}
}
