package store

import (
	"context"
	"errors"
	"fmt"
)

// Result is a fully read query result.
type Result struct {
	Columns []string
	Types   []string // DuckDB type names (VARCHAR, DOUBLE, TIMESTAMP WITH TIME ZONE, DATE, VARCHAR[], ...)
	Rows    [][]any  // database/sql values: nil, string, int32/int64, float64, bool, time.Time, []any, map[string]any, ...
}

// MaxResultRows bounds Query's result so a careless SELECT cannot exhaust
// memory.
const MaxResultRows = 10_000_000

const maxRefreshes = 5

// Query runs query over the views and reads the whole result. DuckDB's
// errors are returned unchanged inside the wrapping, so their message
// (with the LINE marker of a syntax error) reaches the user.
//
// When a file listed at Open has since been compacted away, Query lists the
// lake again, rebuilds the views and retries (a few times, should
// compactions keep racing it).
func (db *DB) Query(ctx context.Context, query string, args ...any) (*Result, error) {
	res, err := db.query(ctx, query, args...)
	for attempt := 0; attempt < maxRefreshes && err != nil && isVanishedFile(err); attempt++ {
		db.log.Debug("lake changed under the views; refreshing", "err", err)
		if rerr := db.Refresh(ctx); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		res, err = db.query(ctx, query, args...)
	}
	return res, err
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*Result, error) {
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols, Types: make([]string, len(cts))}
	for i, ct := range cts {
		res.Types[i] = ct.DatabaseTypeName()
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
		if len(res.Rows) > MaxResultRows {
			return nil, fmt.Errorf("query result exceeds %d rows: add a LIMIT", MaxResultRows)
		}
	}
	return res, rows.Err()
}
