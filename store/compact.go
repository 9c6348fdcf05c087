package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CompactOptions configure Compact.
type CompactOptions struct {
	// RowGroupRows of the files written; default as for the Writer.
	RowGroupRows int `yaml:"row_group_rows"`
	// StaleTemp is the age after which an abandoned temporary file (left by
	// a crash) is removed from a compacted partition. Default 1 h.
	StaleTemp time.Duration `yaml:"stale_temp"`
	// Logger receives one line per partition; nil discards.
	Logger *slog.Logger `yaml:"-"`
	// Progress, when set, is called with the partitions done and the
	// partitions to do: once with 0 before the first, then after each.
	Progress func(done, total int) `yaml:"-"`
}

// CompactStats says what Compact did.
type CompactStats struct {
	Partitions   int // partitions rewritten
	FilesIn      int // files folded in and removed
	FilesOut     int // files written
	RowsIn       int64
	RowsOut      int64
	TempsRemoved int // abandoned temporary files removed
}

// ErrCompacting is returned when another compaction of the same lake is
// running.
var ErrCompacting = errors.New("another compaction of this lake is running")

// Compact rewrites the partitions of the lake under root (only date, a
// YYYY-MM-DD, when not empty) into one file per table, keeping only the
// latest analysis of each recording_id (the rows the views show), and
// removes the files it folded in.
//
// It is safe while writers append: it works on the files that existed when
// it started and never deletes another. Readers never see a duplicate or a
// missing recording: the rows it keeps are written with generation+1 (child
// tables first, calls last), so at every instant the views resolve each
// recording to one complete analysis, and the old files are removed only
// after the new ones are in place. Child files of an analysis still being
// written (no calls row yet) are left for a later compaction.
func Compact(ctx context.Context, root, date string, opts CompactOptions) (CompactStats, error) {
	var st CompactStats
	if date != "" {
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return st, fmt.Errorf("compact: date %q: want YYYY-MM-DD", date)
		}
	}
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = DefaultWriterOptions().RowGroupRows
	}
	if opts.StaleTemp <= 0 {
		opts.StaleTemp = time.Hour
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(LakeDir(root)); errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	unlock, err := lockLake(LakeDir(root))
	if err != nil {
		return st, fmt.Errorf("compact: %w", err)
	}
	defer unlock()

	lk, err := ListLake(root)
	if err != nil {
		return st, fmt.Errorf("compact: %w", err)
	}
	for _, b := range lk.Bad {
		log.Warn("compact: leaving bad file alone", "file", b.Path, "err", b.Err)
	}
	// Partition date → table → files.
	parts := map[string]map[string][]LakeFile{}
	for table, files := range lk.Files {
		for _, f := range files {
			if date != "" && f.Date != date {
				continue
			}
			if parts[f.Date] == nil {
				parts[f.Date] = map[string][]LakeFile{}
			}
			parts[f.Date][table] = append(parts[f.Date][table], f)
		}
	}
	dates := make([]string, 0, len(parts))
	for d := range parts {
		dates = append(dates, d)
	}
	sort.Strings(dates)

	db, err := openDuckDB(ctx, OpenOptions{})
	if err != nil {
		return st, fmt.Errorf("compact: %w", err)
	}
	defer db.Close()
	runID := "compact-" + NewRunID()
	seq := 0
	if opts.Progress != nil {
		opts.Progress(0, len(dates))
	}
	for i, d := range dates {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ps, err := compactPartition(ctx, db.db, root, d, parts[d], runID, &seq, opts)
		st.Partitions += ps.Partitions
		st.FilesIn += ps.FilesIn
		st.FilesOut += ps.FilesOut
		st.RowsIn += ps.RowsIn
		st.RowsOut += ps.RowsOut
		if err != nil {
			return st, fmt.Errorf("compact date=%s: %w", d, err)
		}
		st.TempsRemoved += removeStaleTemps(root, d, opts.StaleTemp, log)
		if ps.Partitions > 0 {
			log.Info("compacted partition", "date", d, "files_in", ps.FilesIn, "files_out", ps.FilesOut, "rows_in", ps.RowsIn, "rows_out", ps.RowsOut)
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(dates))
		}
	}
	return st, nil
}

// analysisTables are the tables compacted together (everything but events),
// children before calls.
var analysisTables = []string{"channels", "segments", "silences", "overlaps", "dtmf", "qa_flags", "pauses", "calls"}

func compactPartition(ctx context.Context, db *sql.DB, root, date string, files map[string][]LakeFile, runID string, seq *int, opts CompactOptions) (CompactStats, error) {
	var st CompactStats
	// The analysis tables are rewritten together (they share the
	// generation bump) when any of them has more than one file.
	var todo []string
	for _, t := range analysisTables {
		if len(files[t]) > 1 {
			todo = analysisTables
			break
		}
	}
	if len(files["recording_events"]) > 1 {
		todo = append(append([]string(nil), todo...), "recording_events")
	}
	if len(todo) == 0 {
		return st, nil
	}
	st.Partitions = 1
	// Child files holding rows of analyses whose calls file was not listed
	// (a writer is between its child files and its calls file) are left
	// alone, unless older than StaleTemp (a writer that crashed there):
	// then their orphaned rows are dropped.
	fold := map[string][]LakeFile{}
	for _, table := range todo {
		fs := files[table]
		if table != "calls" && table != "recording_events" && len(fs) > 0 {
			pending, err := pendingFiles(ctx, db, fs, files["calls"])
			if err != nil {
				return st, fmt.Errorf("%s: %w", table, err)
			}
			var keep []LakeFile
			for _, f := range fs {
				if pending[f.Path] && time.Since(f.Mod) < opts.StaleTemp {
					continue
				}
				keep = append(keep, f)
			}
			fs = keep
		}
		fold[table] = fs
	}
	for _, table := range todo {
		fs := fold[table]
		if len(fs) == 0 {
			continue
		}
		for _, f := range fs {
			st.RowsIn += f.Rows
		}
		q := compactQuery(table, fs, files["calls"])
		name := fmt.Sprintf("%s-%d.parquet", runID, *seq)
		*seq++
		n, err := compactTable(ctx, db, lookupTable(table), q, partitionDir(root, table, date), name, opts.RowGroupRows, runID)
		if err != nil {
			return st, fmt.Errorf("%s: %w", table, err)
		}
		st.RowsOut += n
		if n > 0 {
			st.FilesOut++
		}
	}
	// Every new file is in place: remove the ones folded in.
	dirs := map[string]bool{}
	for _, table := range todo {
		for _, f := range fold[table] {
			if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return st, fmt.Errorf("remove %s: %w", f.Path, err)
			}
			st.FilesIn++
			dirs[filepath.Dir(f.Path)] = true
		}
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return st, err
		}
	}
	return st, nil
}

// readParquet returns a read_parquet() call over fs.
func readParquet(fs []LakeFile) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = quoteString(f.Path)
	}
	union := ""
	if !sameSchema(fs) {
		union = ", union_by_name = true"
	}
	return "read_parquet([" + strings.Join(parts, ", ") + "]" + union + ")"
}

// compactQuery returns the SELECT of the rows of table to keep, in the
// table's column order, with the new generation.
func compactQuery(table string, files, callsFiles []LakeFile) string {
	t := lookupTable(table).describe()
	var cols []string
	for _, c := range t.Columns {
		if c.Partition || c.Name == "generation" {
			continue
		}
		if !anyHas(files, c.Name) { // added after every one of these files
			cols = append(cols, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type, quoteIdent(c.Name)))
			continue
		}
		cols = append(cols, "t."+quoteIdent(c.Name))
	}
	src := readParquet(files)
	switch table {
	case "calls":
		return fmt.Sprintf(`SELECT %s, t.generation + 1 AS generation FROM %s t
QUALIFY row_number() OVER (PARTITION BY t.recording_id %s) = 1
ORDER BY t.start_time, t.recording_id`, strings.Join(cols, ", "), src, latestOrder)
	case "recording_events":
		return fmt.Sprintf(`SELECT %s, t.generation FROM %s t
QUALIFY row_number() OVER (PARTITION BY t.event_id %s) = 1
ORDER BY t.time, t.event_id`, strings.Join(cols, ", "), src, latestOrder)
	}
	// Keep the rows of the latest analysis, bumped to its new generation.
	return fmt.Sprintf(`WITH latest AS (%s)
SELECT %s, t.generation + 1 AS generation
FROM %s t SEMI JOIN latest l ON t.recording_id = l.recording_id AND t.analyzed_at = l.analyzed_at AND t.generation = l.generation
ORDER BY ALL`, latestQuery(callsFiles), strings.Join(cols, ", "), src)
}

// latestQuery selects the latest (recording_id, analyzed_at, generation)
// of the calls files.
func latestQuery(callsFiles []LakeFile) string {
	if len(callsFiles) == 0 {
		return "SELECT NULL::VARCHAR AS recording_id, NULL::TIMESTAMPTZ AS analyzed_at, NULL::INTEGER AS generation LIMIT 0"
	}
	return fmt.Sprintf(`SELECT recording_id, analyzed_at, generation FROM %s
QUALIFY row_number() OVER (PARTITION BY recording_id %s) = 1`, readParquet(callsFiles), latestOrder)
}

// pendingFiles returns the files among fs holding rows of an analysis
// newer than the latest in callsFiles, or of a recording with no calls row.
func pendingFiles(ctx context.Context, db *sql.DB, fs, callsFiles []LakeFile) (map[string]bool, error) {
	src := strings.TrimSuffix(readParquet(fs), ")") + ", filename = true)"
	q := fmt.Sprintf(`WITH latest AS (%s)
SELECT DISTINCT t.filename FROM %s t LEFT JOIN latest l ON t.recording_id = l.recording_id
WHERE l.recording_id IS NULL OR t.analyzed_at > l.analyzed_at`, latestQuery(callsFiles), src)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find pending files: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}

// compactTable streams the rows of q into one new file; with no rows it
// writes nothing.
func compactTable(ctx context.Context, db *sql.DB, t tableOps, q, dir, name string, rowGroupRows int, runID string) (int64, error) {
	return t.copyRows(ctx, db, q, dir, name, rowGroupRows, runID)
}

func copyRows[R any](ctx context.Context, db *sql.DB, t *tableDef[R], q, dir, name string, rowGroupRows int, runID string) (int64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var total int64
	batch := make([]R, 0, rowGroupRows)
	// Metadata versions come from the rows: collected as they stream.
	mv, av := map[string]bool{}, map[string]bool{}
	readBatch := func() ([]R, error) {
		batch = batch[:0]
		for len(batch) < rowGroupRows && rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return nil, fmt.Errorf("scan: %w", err)
			}
			var r R
			for i, c := range t.cols {
				if err := c.set(&r, vals[i]); err != nil {
					return nil, fmt.Errorf("column %s: %w", c.Name, err)
				}
			}
			if t.versions != nil {
				m, a := t.versions(&r)
				mv[m], av[a] = true, true
			}
			batch = append(batch, r)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		if len(batch) == 0 {
			return nil, nil
		}
		total += int64(len(batch))
		return batch, nil
	}
	first, err := readBatch()
	if err != nil {
		return 0, err
	}
	if first == nil {
		return 0, nil
	}
	pending := first
	meta := func() map[string]string {
		m := fileMeta(t, nil, runID)
		setVersions(m, mv, av)
		return m
	}
	err = writeParquet(ctx, t, dir, name, rowGroupRows, meta, nil, func() ([]R, error) {
		if pending != nil {
			b := pending
			pending = nil
			return b, nil
		}
		return readBatch()
	})
	return total, err
}

// removeStaleTemps removes temporary files older than age from the
// partitions of date, returning how many.
func removeStaleTemps(root, date string, age time.Duration, log *slog.Logger) int {
	n := 0
	for _, t := range allTables {
		dir := partitionDir(root, t.tableName(), date)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.IsDir() || !isTempName(e.Name()) || !strings.Contains(e.Name(), ".tmp-") {
				continue
			}
			fi, err := e.Info()
			if err != nil || time.Since(fi.ModTime()) < age {
				continue
			}
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				log.Info("removed abandoned temporary file", "file", filepath.Join(dir, e.Name()))
				n++
			}
		}
	}
	return n
}
