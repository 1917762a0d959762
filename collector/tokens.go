package collector

import (
	"context"
	"errors"
	"strings"

	"github.com/leadlens/leadlens/secret"
	"github.com/leadlens/leadlens/store"
)

// adviceError is a failure the collector itself diagnoses, with what a person should do.
type adviceError struct {
	msg    string
	advice string
	err    error
}

func (e *adviceError) Error() string {
	if e.advice == "" {
		return e.msg
	}
	return e.msg + " — " + e.advice
}

func (e *adviceError) Unwrap() error { return e.err }

// Advice says what to do, like graph.Error's.
func (e *adviceError) Advice() string { return e.advice }

// Token sources, for logs (never the token itself).
const (
	tokenAccount = "account override"
	tokenStored  = "installation token (Admin → Meta connection)"
	tokenEnv     = "META_ACCESS_TOKEN"
)

// tokenFor picks the token an account is read with: its own sealed override, else the
// installation token an admin stored, else META_ACCESS_TOKEN. The token never leaves this
// function except into the Graph client; source names where it came from.
func (s *Service) tokenFor(ctx context.Context, a store.AdAccount) (token, source string, err error) {
	open := func(sealed []byte, what string) (string, error) {
		if s.cfg.Box == nil {
			return "", &adviceError{msg: "cannot decrypt the " + what + ": no secret key is configured",
				advice: "set LEADLENS_SECRET (or keep the key file beside the database) as when the token was saved, or enter the token again"}
		}
		t, err := s.cfg.Box.Open(sealed)
		if err != nil {
			return "", &adviceError{msg: secret.ErrCannotOpen.Error() + " (" + what + ")", err: err}
		}
		return strings.TrimSpace(t), nil
	}
	if a.HasToken {
		sealed, err := s.db.AdAccountToken(ctx, a.ID)
		switch {
		case err == nil:
			t, err := open(sealed, "ad account's own token")
			return t, tokenAccount, err
		case !errors.Is(err, store.ErrNotFound):
			return "", "", err
		}
	}
	sealed, err := s.db.Setting(ctx, store.SettingMetaToken)
	switch {
	case err == nil:
		t, err := open(sealed, "installation Meta token")
		if err != nil || t != "" {
			return t, tokenStored, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return "", "", err
	}
	if s.cfg.Token != "" {
		return s.cfg.Token, tokenEnv, nil
	}
	return "", "", &adviceError{msg: "no Meta access token for this ad account",
		advice: "set a Meta token in Admin → Meta connection or META_ACCESS_TOKEN"}
}
