package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// sessionStore keeps scs sessions in SQLite under the SHA-256 of their token, so the database
// never holds a usable session id.
type sessionStore struct{ db *store.DB }

var _ scs.CtxStore = sessionStore{}

func (s sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	return s.db.FindSession(ctx, secret.Hash(token))
}

func (s sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.db.CommitSession(ctx, secret.Hash(token), b, expiry)
}

func (s sessionStore) DeleteCtx(ctx context.Context, token string) error {
	return s.db.DeleteSession(ctx, secret.Hash(token))
}

func (s sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s sessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// sessionCookieName is the session cookie's name.
const sessionCookieName = "leadlens_session"

// sessionLifetime is how long a sign-in lasts. There is no idle timeout: that would make every
// page view a database write.
const sessionLifetime = 14 * 24 * time.Hour

func newSessionManager(db *store.DB, secure bool, onError func(http.ResponseWriter, *http.Request, error)) *scs.SessionManager {
	sm := scs.New()
	sm.Store = sessionStore{db: db}
	sm.Lifetime = sessionLifetime
	sm.Cookie.Name = sessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	sm.ErrorFunc = onError
	return sm
}
