package secret

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"sync"

	"github.com/alexedwards/argon2id"
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// passwordParams are argon2id's settings: 64 MiB, 2 passes, 2 lanes — OWASP's recommended
// minimums are 19 MiB/2 passes; a sign-in costs ~50 ms on the 2-core machines we target.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword hashes a password with argon2id (PHC string format, salt included).
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLen {
		return "", fmt.Errorf("the password is %d characters; use at least %d", len(pw), MinPasswordLen)
	}
	if len(pw) > 1024 {
		return "", fmt.Errorf("the password is longer than 1024 characters")
	}
	h, err := argon2id.CreateHash(pw, passwordParams)
	if err != nil {
		return "", fmt.Errorf("secret: hash password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether pw matches hash, in constant time.
func CheckPassword(pw, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok
}

// dummyHash lets a sign-in for an unknown email cost as much as one for a known email, so
// response times do not reveal which addresses have accounts.
var dummyHash = sync.OnceValue(func() string {
	h, _ := argon2id.CreateHash("leadlens-timing-equaliser", passwordParams)
	return h
})

// BurnPasswordCheck spends the time of one password check.
func BurnPasswordCheck(pw string) { _, _ = argon2id.ComparePasswordAndHash(pw, dummyHash()) }

// GeneratePassword returns a random password of 20 characters from an unambiguous alphabet.
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("secret: generate password: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}
