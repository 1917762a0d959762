package store

import (
	"context"
	"fmt"
	"strings"
)

// DebugDump renders every row of a table as text. Tests use it to prove that secrets are not
// stored in clear; it only accepts tables of our schema.
func (db *DB) DebugDump(ctx context.Context, table string) (string, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n == 0 {
		return "", fmt.Errorf("store: dump: no table %q", table)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return "", fmt.Errorf("store: dump %s: %w", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("store: dump %s: %w", table, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}
