package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/leadlens/leadlens/store"
	"github.com/leadlens/leadlens/views"
)

// A client's ad accounts and pages on /admin/clients/{slug}: add (validated, all or nothing),
// remove, an account's own token, and an account's connection test.

// clientAccount resolves the {account} URL parameter to one of the client's ad accounts; an
// account of another client answers exactly like one that does not exist.
func (h *Handler) clientAccount(r *http.Request, c store.Client) (store.AdAccount, error) {
	notFound := errNotFound("This client has no such ad account.")
	acct, err := h.db.AdAccount(r.Context(), chi.URLParam(r, "account"))
	if errors.Is(err, store.ErrNotFound) || store.IsValidation(err) || err == nil && acct.ClientID != c.ID {
		return store.AdAccount{}, notFound
	}
	return acct, err
}

// addAccounts is POST /admin/clients/{slug}/accounts.
func (h *Handler) addAccounts(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	c := clientFrom(r.Context())
	typed := r.PostForm.Get("ad_accounts")
	ids := splitIDs(typed)
	if err := h.db.AddAdAccounts(r.Context(), c.ID, ids); err != nil {
		if errs, ok := formErrors(err); ok {
			h.renderClient(w, r, http.StatusBadRequest, clientPageState{errs: errs, accounts: typed})
			return
		}
		h.fail(w, r, err)
		return
	}
	h.audit(r, "ad accounts added", slog.Int64("client_id", c.ID), slog.Any("accounts", ids))
	h.redirectWith(w, r, adminClientPath(c), "ok", "Added "+strings.Join(ids, ", ")+". Refresh to read them from Meta.")
}

// removeAccount is POST /admin/clients/{slug}/accounts/{account}/remove; what was collected
// for the account goes with it.
func (h *Handler) removeAccount(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	acct, err := h.clientAccount(r, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.db.RemoveAdAccount(r.Context(), c.ID, acct.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "ad account removed", slog.Int64("client_id", c.ID), slog.String("account", acct.ActID()))
	h.redirectWith(w, r, adminClientPath(c), "warn", acct.ActID()+" was removed with the data collected for it.")
}

// accountToken is POST /admin/clients/{slug}/accounts/{account}/token: set or replace the
// account's own token, or (remove=1) go back to the installation token.
func (h *Handler) accountToken(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	c := clientFrom(r.Context())
	acct, err := h.clientAccount(r, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.PostForm.Get("remove") == "1" {
		if err := h.db.SetAdAccountToken(r.Context(), acct.ID, nil); err != nil {
			h.fail(w, r, err)
			return
		}
		h.audit(r, "ad account token removed", slog.String("account", acct.ActID()))
		h.redirectWith(w, r, adminClientPath(c), "ok", acct.ActID()+" now uses the installation token.")
		return
	}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if msg := checkToken(tok); msg != "" {
		h.renderClient(w, r, http.StatusBadRequest, clientPageState{accountErrs: map[string]views.FormErrors{acct.ID: {"token": msg}}})
		return
	}
	sealed, err := h.sealToken(tok)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.db.SetAdAccountToken(r.Context(), acct.ID, sealed); err != nil {
		h.fail(w, r, err)
		return
	}
	h.audit(r, "ad account token set", slog.String("account", acct.ActID()), slog.Bool("replaced", acct.HasToken))
	h.redirectWith(w, r, adminClientPath(c), "ok", acct.ActID()+" has its own token now. Test the connection to see what Meta says.")
}

// testAccount is POST /admin/clients/{slug}/accounts/{account}/test: read the account with the
// token the collector would use; the page shows Meta's answer at the account.
func (h *Handler) testAccount(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	acct, err := h.clientAccount(r, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := noTester("GET /" + acct.ActID())
	if h.metaTester != nil {
		res = h.metaTester.TestAccount(r.Context(), acct.ID)
	}
	h.audit(r, "ad account connection tested", slog.String("account", acct.ActID()), slog.Bool("ok", res.OK))
	h.renderClient(w, r, http.StatusOK, clientPageState{tests: map[string]*views.MetaTestResult{acct.ID: metaTestView(res, "account-test-result")}})
}

// addPages is POST /admin/clients/{slug}/pages.
func (h *Handler) addPages(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	c := clientFrom(r.Context())
	typed := r.PostForm.Get("pages")
	ids := splitIDs(typed)
	if err := h.db.AddPages(r.Context(), c.ID, ids); err != nil {
		if errs, ok := formErrors(err); ok {
			h.renderClient(w, r, http.StatusBadRequest, clientPageState{errs: errs, pages: typed})
			return
		}
		h.fail(w, r, err)
		return
	}
	h.audit(r, "pages added", slog.Int64("client_id", c.ID), slog.Any("pages", ids))
	h.redirectWith(w, r, adminClientPath(c), "ok", "Added page "+strings.Join(ids, ", ")+".")
}

// removePage is POST /admin/clients/{slug}/pages/{page}/remove; events logged for it stay.
func (h *Handler) removePage(w http.ResponseWriter, r *http.Request) {
	c := clientFrom(r.Context())
	id := chi.URLParam(r, "page")
	if err := h.db.RemovePage(r.Context(), c.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.fail(w, r, errNotFound("This client has no such page."))
			return
		}
		h.fail(w, r, err)
		return
	}
	h.audit(r, "page removed", slog.Int64("client_id", c.ID), slog.String("page", id))
	h.redirectWith(w, r, adminClientPath(c), "warn", "Page "+id+" was removed; the events logged for it are kept.")
}
