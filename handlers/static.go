package handlers

import (
	"net/http"
	"strings"

	"github.com/leadlens/leadlens/static"
)

// staticFiles serves the embedded static tree. A URL carrying the file's current content hash
// (?v=…, as the pages link it) is cacheable for a year; anything else is revalidated.
func (h *Handler) staticFiles() http.Handler {
	fsrv := http.StripPrefix("/static/", http.FileServerFS(static.FS()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		p := strings.TrimPrefix(r.URL.Path, "/static/")
		if v := r.URL.Query().Get("v"); v != "" && v == h.assets.Version(p) {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300, must-revalidate")
		}
		fsrv.ServeHTTP(w, r)
	})
}
