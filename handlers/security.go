package handlers

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy allows only our own scripts, styles, images and connections. Charts need
// no inline script: their options travel as JSON in <script type="application/json"> and one
// static script (static/js/charts.js) draws them.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries. Share views that allow embedding relax
// the frame rules with allowFraming.
func (h *Handler) securityHeaders(next http.Handler) http.Handler {
	hsts := strings.HasPrefix(h.cfg.BaseURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		// Share-link tokens live in paths: never send them on to another site.
		if strings.HasPrefix(r.URL.Path, "/s/") {
			hd.Set("Referrer-Policy", "no-referrer")
		} else {
			hd.Set("Referrer-Policy", "same-origin")
		}
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if hsts {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// allowFraming lets a page be embedded in other sites' frames (a share link created with
// embedding allowed).
func allowFraming(w http.ResponseWriter) {
	hd := w.Header()
	hd.Del("X-Frame-Options")
	hd.Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors *", 1))
}
