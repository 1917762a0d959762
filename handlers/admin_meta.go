package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// Meta tokens typed on admin pages are sealed before they are stored, are never logged, never
// shown again (only their shape: "EAAB…(212 chars)"), never put in a redirect URL, and never
// echoed back into a re-rendered form.

// maxTokenLen bounds a pasted token: Meta's are a few hundred characters.
const maxTokenLen = 4096

// tokenState is what the pages say about the stored installation token.
func (h *Handler) tokenState(ctx context.Context) (store.MetaTokenInfo, error) {
	info, err := h.db.MetaToken(ctx)
	if err != nil {
		return info, err
	}
	if info.Stored && info.Mask == "" {
		info.Mask = "(stored before masks were kept)"
	}
	return info, nil
}

// checkToken validates a pasted token; it returns the message for the field, "" when fine.
func checkToken(tok string) string {
	switch {
	case tok == "":
		return "Paste the token."
	case len(tok) > maxTokenLen:
		return "That is longer than any Meta token; paste the token alone."
	case strings.ContainsAny(tok, " \t\r\n"):
		return "A Meta token has no spaces or line breaks; paste the token alone."
	}
	return ""
}

// sealToken encrypts a token for storage.
func (h *Handler) sealToken(tok string) ([]byte, error) {
	if h.sealer == nil {
		return nil, errors.New("admin: no token sealer configured")
	}
	return h.sealer.Seal(tok)
}

// metaTestView formats a connection test's answer.
func metaTestView(t MetaTestResult, testID string) *views.MetaTestResult {
	return &views.MetaTestResult{OK: t.OK, Request: t.Request, TokenSource: t.TokenSource, Answer: t.Answer,
		Error: t.Error, Advice: t.Advice, Took: strconv.FormatInt(t.Took.Milliseconds(), 10) + " ms", TestID: testID}
}

// noTester is the answer when no tester is wired.
func noTester(request string) MetaTestResult {
	return MetaTestResult{Request: request, Error: "Connection tests are not available in this process."}
}

// adminMeta is GET /admin/meta.
func (h *Handler) adminMeta(w http.ResponseWriter, r *http.Request) {
	h.renderMeta(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) renderMeta(w http.ResponseWriter, r *http.Request, status int, errs views.FormErrors, test *views.MetaTestResult) {
	ctx := r.Context()
	info, err := h.tokenState(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	overrides, err := h.db.CountAccountTokens(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, a := h.adminPage(r, "Meta connection")
	v := views.AdminMeta{Admin: a, GraphURL: h.cfg.GraphURL, APIVersion: h.cfg.APIVersion, Stored: info.Stored, StoredMask: info.Mask,
		StoredAt: stampTime(info.SavedAt), EnvSet: h.cfg.EnvTokenSet, TokenAction: "/admin/meta/token",
		RemoveAction: "/admin/meta/token/remove", TestAction: "/admin/meta/test", Test: test, Errors: errs, Overrides: overrides}
	h.render(w, r, status, views.AdminMetaPage(p, v))
}

// saveMetaToken is POST /admin/meta/token: set or replace the installation token.
func (h *Handler) saveMetaToken(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if msg := checkToken(tok); msg != "" {
		h.renderMeta(w, r, http.StatusBadRequest, views.FormErrors{"token": msg}, nil)
		return
	}
	sealed, err := h.sealToken(tok)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	before, err := h.db.MetaToken(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.db.SetMetaToken(r.Context(), sealed, secret.Mask(tok)); err != nil {
		h.fail(w, r, err)
		return
	}
	what := "saved"
	if before.Stored {
		what = "replaced"
	}
	h.audit(r, "Meta token "+what)
	h.redirectWith(w, r, "/admin/meta", "ok", "The Meta token was "+what+". Test the connection to see what Meta says about it.")
}

// removeMetaToken is POST /admin/meta/token/remove.
func (h *Handler) removeMetaToken(w http.ResponseWriter, r *http.Request) {
	if err := h.db.SetMetaToken(r.Context(), nil, ""); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "Meta token removed")
	msg := "The stored Meta token was removed."
	if h.cfg.EnvTokenSet {
		msg += " The collector now uses META_ACCESS_TOKEN."
	} else {
		msg += " Ad accounts without their own token cannot be collected until a token is set."
	}
	h.redirectWith(w, r, "/admin/meta", "warn", msg)
}

// testMeta is POST /admin/meta/test: GET /me with the installation token; the page shows
// what Meta answered.
func (h *Handler) testMeta(w http.ResponseWriter, r *http.Request) {
	res := noTester("GET /me")
	if h.metaTester != nil {
		res = h.metaTester.TestInstallation(r.Context())
	}
	h.audit(r, "Meta connection tested", slog.Bool("ok", res.OK))
	h.renderMeta(w, r, http.StatusOK, nil, metaTestView(res, "meta-test-result"))
}
