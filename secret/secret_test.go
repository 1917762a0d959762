package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealRoundTripAndWrongKey(t *testing.T) {
	a, err := NewBox("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := a.Seal("EAABsecret-token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "EAABsecret-token") {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := a.Open(sealed)
	if err != nil || got != "EAABsecret-token" {
		t.Fatalf("got %q %v, want the token back", got, err)
	}
	b, _ := NewBox("another secret of enough length")
	if _, err := b.Open(sealed); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("open with another key: got %v, want ErrCannotOpen", err)
	}
	if _, err := NewBox("short"); err == nil {
		t.Fatal("a 5-character secret was accepted")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadlens.key")
	a, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("key file mode %v, want 0600", got)
	}
	sealed, _ := a.Seal("tok")
	b, err := LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(sealed); err != nil || got != "tok" {
		t.Fatalf("reloaded key: got %q %v, want tok", got, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file: got %v, want a refusal naming chmod 600", err)
	}
}

func TestNewTokenAndHash(t *testing.T) {
	tok, display, err := NewToken("llk")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "llk_") || len(tok) < 40 || !strings.HasPrefix(tok, display) {
		t.Fatalf("got token %q display %q", tok, display)
	}
	tok2, _, _ := NewToken("llk")
	if tok == tok2 {
		t.Fatal("two tokens are equal")
	}
	if Hash(tok) == Hash(tok2) || len(Hash(tok)) != 64 {
		t.Fatal("hashes collide or have the wrong length")
	}
	if m := Mask("EAABverylongtoken"); strings.Contains(m, "verylong") {
		t.Fatalf("Mask leaked: %q", m)
	}
}
