package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// httpError is an error with the status and the words a person should see.
type httpError struct {
	Status  int
	Title   string
	Message string
	Err     error // logged, never shown
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *httpError) Unwrap() error { return e.Err }

// errNotFound, errForbidden … build the common cases.
func errNotFound(msg string) error {
	return &httpError{Status: http.StatusNotFound, Title: "Not found", Message: msg}
}

func errBadRequest(msg string) error {
	return &httpError{Status: http.StatusBadRequest, Title: "That request is not valid", Message: msg}
}

func errForbidden(msg string) error {
	return &httpError{Status: http.StatusForbidden, Title: "Not allowed", Message: msg}
}

// fail is the one error path of the HTML pages: store.ErrNotFound → 404, validation → 400,
// an httpError → its status, anything else → logged with attributes and a generic 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, title, msg := h.classify(r, err)
	p := h.page(title)
	p.Assets.NoCharts = true
	h.render(w, r, status, views.ErrorPage(p, status, title, msg))
}

func (h *Handler) classify(r *http.Request, err error) (int, string, string) {
	var he *httpError
	var ve *store.ValidationError
	switch {
	case errors.As(err, &he):
		if he.Status >= 500 {
			h.logError(r, err)
		}
		return he.Status, he.Title, he.Message
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "Not found", "There is nothing here. It may have been removed, or the link is mistyped."
	case errors.As(err, &ve):
		return http.StatusBadRequest, "That request is not valid", ve.Error()
	case errors.Is(err, context.Canceled):
		return 499, "Request cancelled", "The request was cancelled."
	default:
		h.logError(r, err)
		return http.StatusInternalServerError, "Something went wrong", "Leadlens could not complete this request. The error was logged with request id " + middleware.GetReqID(r.Context()) + "."
	}
}

func (h *Handler) logError(r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "request failed",
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.String("method", r.Method),
		slog.String("route", routePattern(r)),
		slog.Any("err", err))
}

// render writes a templ component with a status. Rendering into a buffer first means a failing
// component yields a clean 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		h.logError(r, err)
		http.Error(w, "Leadlens could not render this page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
