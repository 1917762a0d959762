// Package secret seals Meta tokens at rest and makes and hashes the random tokens Leadlens hands
// out (API keys, share links, session ids).
//
// Sealing is AES-256-GCM with a key derived from LEADLENS_SECRET, or from a random key kept in a
// 0600 file beside the database. Random tokens carry 256 bits of entropy, so a plain SHA-256 is
// the right hash for them (a slow password hash adds nothing against guessing 2^256 values, and
// costs every API request).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
}

// version byte in front of every sealed value, so the scheme can change later.
const sealVersion = 1

// minSecretLen is the shortest LEADLENS_SECRET accepted: a passphrase shorter than this is
// guessable, and the sealed tokens are only as safe as it is.
const minSecretLen = 16

// NewBox derives the sealing key from a secret string (LEADLENS_SECRET).
func NewBox(secret string) (*Box, error) {
	if len(secret) < minSecretLen {
		return nil, fmt.Errorf("secret: LEADLENS_SECRET is %d characters; use at least %d (e.g. the output of `openssl rand -hex 32`)", len(secret), minSecretLen)
	}
	key := sha256.Sum256([]byte("leadlens-seal-v1\x00" + secret))
	return newBox(key[:])
}

func newBox(key []byte) (*Box, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// KeyFileError is a key file that cannot be used: what is wrong with it and the fix, so the
// caller can name its setting.
type KeyFileError struct {
	Path    string
	Problem string // e.g. "has mode -rw-r--r--"
	Fix     string // e.g. "run `chmod 600 …`"
}

// Error is one line: the file, the problem, the fix.
func (e *KeyFileError) Error() string {
	return fmt.Sprintf("secret: key file %s %s; %s", e.Path, e.Problem, e.Fix)
}

// LoadOrCreateKeyFile reads the key file at path, creating it (0600, 32 random bytes, hex) when
// absent. A key file readable by group or others is refused: it guards every stored Meta token.
// Problems with the file are *KeyFileError.
func LoadOrCreateKeyFile(path string) (*Box, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("secret: generate key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, &KeyFileError{Path: path, Problem: fmt.Sprintf("cannot be created (%v)", unwrapPath(err)),
				Fix: "make its directory writable by the user Leadlens runs as, or set LEADLENS_SECRET"}
		}
		if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("secret: write key file %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("secret: write key file %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("secret: write key file %s: %w", path, err)
		}
		return newBox(key)
	}
	if err != nil {
		return nil, &KeyFileError{Path: path, Problem: fmt.Sprintf("cannot be read (%v)", unwrapPath(err)),
			Fix: "make it a file readable by the user Leadlens runs as (chmod 600, owned by that user), or set LEADLENS_SECRET"}
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, &KeyFileError{Path: path, Problem: fmt.Sprintf("has mode %v", fi.Mode().Perm()), Fix: fmt.Sprintf("run `chmod 600 %s`", path)}
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, &KeyFileError{Path: path, Problem: "does not hold a 64-hex-digit key",
			Fix: "restore it from your backup of the key (a new key cannot open the tokens already stored), or remove it to have a new one generated and enter the Meta tokens again"}
	}
	return newBox(key)
}

// unwrapPath is the reason of a file error without the path the message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Seal encrypts plaintext; the result is safe to store.
func (b *Box) Seal(plaintext string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	out := append([]byte{sealVersion}, nonce...)
	return b.aead.Seal(out, nonce, []byte(plaintext), []byte{sealVersion}), nil
}

// ErrCannotOpen means a sealed value was made with another key or was damaged.
var ErrCannotOpen = errors.New("secret: cannot decrypt a stored token: LEADLENS_SECRET (or the key file) differs from the one it was saved with; enter the token again")

// Open decrypts a value made by Seal.
func (b *Box) Open(sealed []byte) (string, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns || sealed[0] != sealVersion {
		return "", ErrCannotOpen
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte{sealVersion})
	if err != nil {
		return "", ErrCannotOpen
	}
	return string(pt), nil
}

// NewToken returns a random token with a readable prefix ("llk_…" for API keys, "lls_…" for
// share links) and 256 bits of entropy, and the short display prefix kept for lists.
func NewToken(kind string) (token, display string, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("secret: random token: %w", err)
	}
	token = kind + "_" + base64.RawURLEncoding.EncodeToString(raw)
	return token, token[:len(kind)+1+6], nil
}

// Hash is the stored form of a random token: hex SHA-256.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Equal compares two strings in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Mask shows the shape of a secret without revealing it: "EAAB…(212 chars)".
func Mask(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return fmt.Sprintf("…(%d chars)", len(s))
	}
	return fmt.Sprintf("%s…(%d chars)", s[:4], len(s))
}
