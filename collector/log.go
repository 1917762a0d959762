package collector

import (
	"context"
	"log/slog"
	"slices"
)

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

type logAttrsKey struct{}

// withLogAttrs returns ctx carrying attrs for every log line written with it (run_id, account).
func withLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	return context.WithValue(ctx, logAttrsKey{}, append(slices.Clip(prev), attrs...))
}

// ctxHandler adds the attributes of withLogAttrs to each record, so the Graph client's own
// log lines (which get the pass's ctx) carry run_id and account too.
type ctxHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h ctxHandler) Handle(ctx context.Context, rec slog.Record) error {
	if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
		rec.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, rec)
}

// WithAttrs implements slog.Handler.
func (h ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ctxHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{h.Handler.WithGroup(name)} }
