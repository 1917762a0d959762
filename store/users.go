package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// User roles.
const (
	RoleAdmin  = "admin"  // everything
	RoleMember = "member" // every client, read-only, may refresh
	RoleViewer = "viewer" // exactly one client, read-only
)

// User is a person who signs in.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         string
	ClientID     int64 // viewers only
	ClientSlug   string
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

// NewUser is what CreateUser needs; the password is already hashed by the caller.
type NewUser struct {
	Email        string
	PasswordHash string
	Role         string
	ClientID     int64
}

// NormalizeEmail trims and lower-cases an address and checks its shape.
func NormalizeEmail(s string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e, "@") {
		return "", invalid("email", "%q is not an email address", s)
	}
	return e, nil
}

// ValidateRole checks a role and that a viewer (and only a viewer) names a client.
func ValidateRole(role string, clientID int64) error {
	switch role {
	case RoleAdmin, RoleMember:
		if clientID != 0 {
			return invalid("client", "only viewers belong to one client; an %s sees every client", role)
		}
		return nil
	case RoleViewer:
		if clientID == 0 {
			return invalid("client", "a viewer must be given the one client they may see")
		}
		return nil
	}
	return invalid("role", "%q is not a role: use admin, member or viewer", role)
}

const userCols = `u.id, u.email, u.password_hash, u.role, coalesce(u.client_id, 0), coalesce(c.slug, ''), u.created_at, u.last_login_at`

func scanUser(row rowScanner) (User, error) {
	var u User
	var created string
	var last sql.NullString
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.ClientID, &u.ClientSlug, &created, &last); err != nil {
		return User{}, err
	}
	u.CreatedAt, _ = ParseTime(created)
	u.LastLoginAt = nullTime(last)
	return u, nil
}

// CreateUser adds a user.
func (db *DB) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	if err := ValidateRole(nu.Role, nu.ClientID); err != nil {
		return User{}, err
	}
	if nu.PasswordHash == "" {
		return User{}, errors.New("store: create user: no password hash")
	}
	var id int64
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email = ?`, email).Scan(&n); err != nil {
			return fmt.Errorf("store: create user: %w", err)
		}
		if n > 0 {
			return invalid("email", "a user with the email %s already exists", email)
		}
		var client any
		if nu.ClientID != 0 {
			if err := clientExists(ctx, tx, nu.ClientID); err != nil {
				return invalid("client", "that client does not exist")
			}
			client = nu.ClientID
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, role, client_id, created_at) VALUES (?, ?, ?, ?, ?)`,
			email, nu.PasswordHash, nu.Role, client, FormatTime(db.now()))
		if err != nil {
			return fmt.Errorf("store: create user: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return User{}, err
	}
	return db.UserByID(ctx, id)
}

// UserByID returns one user.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	return db.oneUser(ctx, `SELECT `+userCols+` FROM users u LEFT JOIN clients c ON c.id = u.client_id WHERE u.id = ?`, id)
}

// UserByEmail returns one user by (case-insensitive) email.
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	return db.oneUser(ctx, `SELECT `+userCols+` FROM users u LEFT JOIN clients c ON c.id = u.client_id WHERE u.email = ?`,
		strings.ToLower(strings.TrimSpace(email)))
}

func (db *DB) oneUser(ctx context.Context, q string, arg any) (User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, q, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user: %w", err)
	}
	return u, nil
}

// Users lists every user by email.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	return queryAll(ctx, db.r, "store: users", scanUser, `SELECT `+userCols+` FROM users u LEFT JOIN clients c ON c.id = u.client_id ORDER BY u.email`)
}

// CountUsers counts users (serve explains how to create the first admin when there is none).
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// ErrLastAdmin refuses a change that would leave no admin.
var ErrLastAdmin = &ValidationError{Field: "role", Message: "this is the last admin; make another user admin first"}

// SetUserRole changes a user's role (and, for viewers, their client). The last admin cannot be
// demoted.
func (db *DB) SetUserRole(ctx context.Context, id int64, role string, clientID int64) error {
	if err := ValidateRole(role, clientID); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if role != RoleAdmin {
			if err := notLastAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		var client any
		if clientID != 0 {
			if err := clientExists(ctx, tx, clientID); err != nil {
				return invalid("client", "that client does not exist")
			}
			client = clientID
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, client_id = ? WHERE id = ?`, role, client, id)
		if err != nil {
			return fmt.Errorf("store: set role: %w", err)
		}
		return mustAffect(res)
	})
}

// DeleteUser removes a user; the last admin cannot be removed. Their sessions die with them:
// every request re-reads the user.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := notLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		return mustAffect(res)
	})
}

func notLastAdmin(ctx context.Context, tx *sql.Tx, id int64) error {
	var isAdmin, admins int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ? AND role = 'admin'`, id).Scan(&isAdmin); err != nil {
		return fmt.Errorf("store: count admins: %w", err)
	}
	if isAdmin == 0 {
		return nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
		return fmt.Errorf("store: count admins: %w", err)
	}
	if admins <= 1 {
		return ErrLastAdmin
	}
	return nil
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
		if err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		return mustAffect(res)
	})
}

// TouchLogin records a successful sign-in.
func (db *DB) TouchLogin(ctx context.Context, id int64) error {
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, FormatTime(db.now()), id)
		if err != nil {
			return fmt.Errorf("store: touch login: %w", err)
		}
		return nil
	})
}
