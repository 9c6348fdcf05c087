package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// OpenOptions configure Open.
type OpenOptions struct {
	// Logger receives a warning per bad file in the lake; nil discards.
	Logger *slog.Logger
	// Threads limits DuckDB's worker threads; 0 means DuckDB's default
	// (one per core).
	Threads int `yaml:"threads"`
	// MemoryLimit is DuckDB's memory_limit ("2GB"); empty means DuckDB's
	// default (80 % of RAM).
	MemoryLimit string `yaml:"memory_limit"`
}

// DB is an in-memory DuckDB database with one view per table over the
// lake of a data root. Views show the latest analysis of each recording;
// schema raw holds every analysis.
type DB struct {
	root   string
	log    *slog.Logger
	db     *sql.DB
	conn   driver.Connector
	mu     sync.Mutex // guards lake
	lake   *Lake
	extDir string
}

// Open lists and validates the lake under root, starts DuckDB (extension
// auto-install and auto-load off, TimeZone UTC) and creates the views. Bad
// files are logged, skipped and listed by BadFiles. An empty or missing
// lake gives typed views with no rows.
func Open(ctx context.Context, root string, opts OpenOptions) (*DB, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := openDuckDB(ctx, opts)
	if err != nil {
		return nil, err
	}
	db.root, db.log = root, log
	if err := db.Refresh(ctx); err != nil {
		db.Close()
		return nil, err
	}
	for _, b := range db.lake.Bad {
		log.Warn("skipping bad file in the lake", "file", b.Path, "err", b.Err)
	}
	return db, nil
}

func openDuckDB(ctx context.Context, opts OpenOptions) (*DB, error) {
	ext, err := os.MkdirTemp("", "callscope-duckdb-ext-")
	if err != nil {
		return nil, fmt.Errorf("duckdb extension directory: %w", err)
	}
	dsn := "?autoinstall_known_extensions=false&autoload_known_extensions=false&extension_directory=" + ext
	init := []string{"SET TimeZone='UTC'"}
	if opts.Threads > 0 {
		init = append(init, fmt.Sprintf("SET threads=%d", opts.Threads))
	}
	if opts.MemoryLimit != "" {
		init = append(init, "SET memory_limit="+quoteString(opts.MemoryLimit))
	}
	newConnector := registeredEngine()
	if newConnector == nil {
		os.RemoveAll(ext)
		return nil, ErrNoEngine
	}
	conn, err := newConnector(dsn, func(e driver.ExecerContext) error {
		for _, q := range init {
			if _, err := e.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		os.RemoveAll(ext)
		return nil, fmt.Errorf("open duckdb: %w", err)
	}
	return &DB{db: sql.OpenDB(conn), conn: conn, extDir: ext}, nil
}

// Refresh lists the lake again and rebuilds the views, picking up files
// written (and dropping files compacted away) since Open.
func (db *DB) Refresh(ctx context.Context) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	var err error
	// A compaction may remove a file between the listing and the binding
	// of the views: list again.
	for attempt := 0; attempt < 10; attempt++ {
		var lk *Lake
		lk, err = ListLake(db.root)
		if err != nil {
			return err
		}
		if _, err = db.db.ExecContext(ctx, viewsSQL(lk)); err == nil {
			db.lake = lk
			return nil
		}
		if !isVanishedFile(err) {
			break
		}
	}
	return fmt.Errorf("create views: %w", err)
}

// isVanishedFile reports whether err is DuckDB failing to open a file of
// the view's list: a compaction removed it after the listing.
func isVanishedFile(err error) bool {
	s := err.Error()
	return strings.Contains(s, "No such file") || strings.Contains(s, "No files found")
}

// SQL returns the database handle for arbitrary queries over the views.
func (db *DB) SQL() *sql.DB { return db.db }

// Lake returns the listing the views were built from.
func (db *DB) Lake() *Lake {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.lake
}

// BadFiles returns the files the views skip.
func (db *DB) BadFiles() []BadFile { return db.Lake().Bad }

// Empty reports whether the lake has no calls.
func (db *DB) Empty() bool { return len(db.Lake().Files["calls"]) == 0 }

// Close closes DuckDB and removes its temporary extension directory.
func (db *DB) Close() error {
	err := db.db.Close()
	if c, ok := db.conn.(io.Closer); ok {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	os.RemoveAll(db.extDir)
	return err
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// rawSelect returns the SELECT over the files of a table, or a typed
// zero-row SELECT when there are none.
func rawSelect(t Table, files []LakeFile) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		if len(files) == 0 || (!c.Partition && !anyHas(files, c.Name)) {
			// No file has the column (or no file at all): typed NULLs.
			fmt.Fprintf(&b, "CAST(NULL AS %s) AS %s", c.Type, quoteIdent(c.Name))
		} else {
			b.WriteString(quoteIdent(c.Name))
		}
	}
	if len(files) == 0 {
		b.WriteString(" LIMIT 0")
		return b.String()
	}
	b.WriteString(" FROM read_parquet([")
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteString(f.Path))
	}
	b.WriteString("], hive_partitioning = true, hive_types = {'date': DATE}")
	if !sameSchema(files) {
		b.WriteString(", union_by_name = true")
	}
	b.WriteString(")")
	return b.String()
}

// anyHas reports whether any of files has column name.
func anyHas(files []LakeFile, name string) bool {
	for _, f := range files {
		if strings.HasPrefix(f.SchemaKey, name+":") || strings.Contains(f.SchemaKey, ";"+name+":") {
			return true
		}
	}
	return false
}

// sameSchema reports whether files all have the same columns and types, so
// DuckDB need not read every footer to union them by name.
func sameSchema(files []LakeFile) bool {
	for _, f := range files[1:] {
		if f.SchemaKey != files[0].SchemaKey {
			return false
		}
	}
	return true
}

// latestOrder orders the analyses of one recording, latest first.
const latestOrder = "ORDER BY analyzed_at DESC, generation DESC"

// viewsSQL returns the statements creating schema raw (every analysis) and
// the latest-wins views in main.
func viewsSQL(lk *Lake) string {
	var b strings.Builder
	b.WriteString("CREATE SCHEMA IF NOT EXISTS raw;\n")
	for _, t := range Tables() {
		fmt.Fprintf(&b, "CREATE OR REPLACE VIEW raw.%s AS %s;\n", t.Name, rawSelect(t, lk.Files[t.Name]))
	}
	// raw.latest: the (recording_id, analyzed_at, generation) the views show.
	fmt.Fprintf(&b, "CREATE OR REPLACE VIEW raw.latest AS SELECT recording_id, analyzed_at, generation FROM raw.calls QUALIFY row_number() OVER (PARTITION BY recording_id %s) = 1;\n", latestOrder)
	for _, t := range Tables() {
		switch t.Name {
		case "calls":
			fmt.Fprintf(&b, "CREATE OR REPLACE VIEW main.calls AS SELECT * FROM raw.calls QUALIFY row_number() OVER (PARTITION BY recording_id %s) = 1;\n", latestOrder)
		case "recording_events":
			fmt.Fprintf(&b, "CREATE OR REPLACE VIEW main.recording_events AS SELECT * FROM raw.recording_events QUALIFY row_number() OVER (PARTITION BY event_id %s) = 1;\n", latestOrder)
		default:
			fmt.Fprintf(&b, "CREATE OR REPLACE VIEW main.%[1]s AS SELECT t.* FROM raw.%[1]s t SEMI JOIN raw.latest l ON t.recording_id = l.recording_id AND t.analyzed_at = l.analyzed_at AND t.generation = l.generation;\n", t.Name)
		}
	}
	return b.String()
}
