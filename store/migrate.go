package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaTooNew means the database was migrated by a newer Leadlens than this binary.
var ErrSchemaTooNew = errors.New("store: the database was written by a newer Leadlens; upgrade the binary (or restore a backup made by this version)")

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.w, sub,
		goose.WithTableName("schema_migrations"),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return p, nil
}

// Migration is one applied schema step.
type Migration struct {
	Version int64
	Name    string
}

// Migrate applies every pending embedded migration, each in its own transaction, and returns
// what it applied (empty when the schema was already current).
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	if err := db.checkNotNewer(ctx); err != nil {
		return nil, err
	}
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	out := make([]Migration, 0, len(res))
	for _, r := range res {
		out = append(out, Migration{Version: r.Source.Version, Name: r.Source.Path})
	}
	return out, nil
}

// SchemaVersion reports the database's schema version and the newest this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := db.provider()
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("store: schema version: %w", err)
	}
	return current, latest, nil
}

// LatestSchemaVersion is the newest schema version embedded in this binary.
func LatestSchemaVersion() int64 {
	entries, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	var v int64
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(e, "migrations/%d_", &n); err == nil && n > v {
			v = n
		}
	}
	return v
}

// checkNotNewer refuses a database whose recorded schema is ahead of this binary. It reads the
// version table directly so it works before goose has created anything.
func (db *DB) checkNotNewer(ctx context.Context) error {
	var exists int
	err := db.w.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists)
	if err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if exists == 0 {
		return nil
	}
	var v int64
	if err := db.w.QueryRowContext(ctx,
		`SELECT coalesce(max(version_id), 0) FROM schema_migrations WHERE is_applied`).Scan(&v); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if latest := LatestSchemaVersion(); v > latest {
		return fmt.Errorf("%w (database schema %d, this binary knows up to %d)", ErrSchemaTooNew, v, latest)
	}
	return nil
}
