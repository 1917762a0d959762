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

// ErrSchemaTooNew means the database was migrated by a newer Leadlens than this binary;
// errors.As gives the *SchemaTooNewError with the file and both versions.
var ErrSchemaTooNew = errors.New("store: the database's schema is newer than this Leadlens")

// SchemaTooNewError names a database newer than this binary and both versions.
type SchemaTooNewError struct {
	Path            string
	Version, Latest int64
}

// Error is one line: the file, both versions and what to do.
func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("%s has schema version %d, newer than this Leadlens binary knows (up to %d); use the newer Leadlens binary with it, or restore a backup made by this version",
		e.Path, e.Version, e.Latest)
}

// Is makes errors.Is(err, ErrSchemaTooNew) true.
func (e *SchemaTooNewError) Is(target error) bool { return target == ErrSchemaTooNew }

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
	v, err := schemaVersionOf(ctx, db.w)
	if err != nil {
		return err
	}
	if latest := LatestSchemaVersion(); v > latest {
		return &SchemaTooNewError{Path: db.path, Version: v, Latest: latest}
	}
	return nil
}
