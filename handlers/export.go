package handlers

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/leadlens/leadlens/csvexport"
	"github.com/leadlens/leadlens/store"
)

// exportCSV is /clients/{slug}/export.csv: the rows behind the view — its period, level and
// CTX filter (CTX only unless ctx=0) — one row per object per day, the same bytes as
// `leadlens export` for the same view.
func (h *Handler) exportCSV(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	q, err := h.viewQuery(r.Context(), c, r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.streamCSV(w, r, c, q)
}

// streamCSV writes the export of q. Rows stream as they are read; csvexport buffers the first
// 64 KiB, so a failure before that still gets a proper error page, and a later one aborts the
// response instead of ending a truncated file cleanly.
func (h *Handler) streamCSV(w http.ResponseWriter, r *http.Request, c store.Client, q dashQuery) {
	eq := store.ExportQuery{ClientID: c.ID, LeadActionType: c.LeadActionType, Level: q.Level, CTXOnly: q.CTX, Since: q.Since, Until: q.Until}
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Content-Disposition", `attachment; filename="`+csvexport.Filename(c.Slug, q.Level, q.Since, q.Until)+`"`)
	hd.Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	err := csvexport.Write(r.Context(), cw, h.db, eq)
	if err == nil {
		return
	}
	if cw.n == 0 {
		hd.Del("Content-Disposition")
		hd.Del("Cache-Control")
		h.fail(w, r, err)
		return
	}
	h.log.ErrorContext(r.Context(), "csv export failed midway", slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.Int64("bytes_sent", cw.n), slog.Any("err", err))
	panic(http.ErrAbortHandler)
}

// countingWriter counts what reached the client.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
