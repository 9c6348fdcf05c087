package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func writeRecs(t testing.TB, root string, opts WriterOptions, recs ...*Recording) {
	t.Helper()
	w, err := NewWriter(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func openDB(t testing.TB, root string) *DB {
	t.Helper()
	db, err := Open(ctxT(t), root, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func query(t testing.TB, db *DB, q string, args ...any) *Result {
	t.Helper()
	res, err := db.Query(ctxT(t), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res
}

func scalar(t testing.TB, db *DB, q string, args ...any) any {
	t.Helper()
	res := query(t, db, q, args...)
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		t.Fatalf("%s: want one value, got %v", q, res.Rows)
	}
	return res.Rows[0][0]
}

func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	analyzed := time.Date(2026, 11, 21, 1, 2, 3, 456789123, time.UTC)
	rec := sampleRecording("r1", day0, analyzed)
	writeRecs(t, root, WriterOptions{RunID: "run1"}, rec)

	// Layout.
	for _, tb := range TableNames() {
		if tb == "recording_events" {
			continue
		}
		p := filepath.Join(root, "lake", tb, "date=2026-11-20")
		ents, err := os.ReadDir(p)
		if err != nil {
			t.Fatalf("%s: %v", tb, err)
		}
		if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), "run1-") || !strings.HasSuffix(ents[0].Name(), ".parquet") {
			t.Errorf("%s: files %v", p, ents)
		}
	}

	db := openDB(t, root)
	if bad := db.BadFiles(); len(bad) != 0 {
		t.Fatalf("bad files: %v", bad)
	}
	// Types as analysts see them.
	wantTypes := map[string]string{}
	for _, tb := range Tables() {
		for _, c := range tb.Columns {
			wantTypes[tb.Name+"."+c.Name] = c.Type
		}
	}
	for _, tb := range Tables() {
		res := query(t, db, "SELECT column_name, column_type FROM (DESCRIBE "+quoteIdent(tb.Name)+")")
		if len(res.Rows) != len(tb.Columns) {
			t.Errorf("%s: %d columns in the view, %d described", tb.Name, len(res.Rows), len(tb.Columns))
		}
		for _, r := range res.Rows {
			name, typ := r[0].(string), r[1].(string)
			want := wantTypes[tb.Name+"."+name]
			if want == "TIMESTAMPTZ" {
				want = "TIMESTAMP WITH TIME ZONE"
			}
			if typ != want {
				t.Errorf("%s.%s: type %s, want %s", tb.Name, name, typ, want)
			}
		}
	}

	res := query(t, db, "SELECT recording_id, call_id, start_time, end_time, recorded_s, chunks, qa_flags, metrics_version, analyzer_version, analyzed_at, source, date, strftime(start_time, '%Y-%m-%d %H:%M:%S.%f %Z') FROM calls")
	if len(res.Rows) != 1 {
		t.Fatalf("calls: %v", res.Rows)
	}
	got := res.Rows[0]
	want := []any{"r1", "call-r1", day0, day0.Add(95 * time.Second), 50.0, int32(1), []any{"dead_air", "one_way_audio"}, "1", "test-1.0",
		analyzed.Truncate(time.Microsecond), "file", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), "2026-11-20 09:30:00.123456 UTC"}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("calls.%s = %#v, want %#v", res.Columns[i], got[i], want[i])
		}
	}

	// Nullable columns and child rows.
	res = query(t, db, "SELECT flag, severity, channel, start_s, value FROM qa_flags ORDER BY flag")
	wantFlags := [][]any{{"dead_air", "warning", nil, 20.0, 10.5}, {"one_way_audio", "critical", int32(1), nil, 0.0}}
	if !reflect.DeepEqual(res.Rows, wantFlags) {
		t.Errorf("qa_flags = %v, want %v", res.Rows, wantFlags)
	}
	for q, want := range map[string]any{
		"SELECT count(*) FROM channels WHERE recording_id = 'r1'": int64(2),
		"SELECT one_way FROM channels WHERE channel = 1":          true,
		"SELECT participant_kind FROM channels WHERE channel = 0": "phoneNumber",
		"SELECT count(*) FROM segments":                           int64(3),
		"SELECT sum(end_s - start_s) FROM segments":               3.75 + 5 + 7.5,
		"SELECT duration_s FROM silences WHERE kind = 'dead_air'": 10.5,
		"SELECT by_channel FROM main.overlaps":                    int32(1),
		"SELECT string_agg(digit, '' ORDER BY seq) FROM dtmf":     "**",
		"SELECT duration_s FROM pauses":                           45.0,
		"SELECT count(DISTINCT analyzed_at) FROM (SELECT analyzed_at FROM segments UNION ALL SELECT analyzed_at FROM calls)": int64(1),
		"SELECT typeof(analyzed_at) FROM segments LIMIT 1":                                                                   "TIMESTAMP WITH TIME ZONE",
		"SELECT count(*) FROM recording_events":                                                                              int64(0),
		"SELECT start_time FROM segments WHERE start_s = 12.5":                                                               day0.Add(57500 * time.Millisecond),
	} {
		if got := scalar(t, db, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", q, got, want)
		}
	}

	// Parquet footers: zstd, statistics, key-value metadata, dictionary
	// encoding kept in the stored Arrow schema.
	res = query(t, db, "SELECT DISTINCT compression FROM parquet_metadata('"+filepath.Join(root, "lake", "calls", "*", "*.parquet")+"')")
	if len(res.Rows) != 1 || res.Rows[0][0] != "ZSTD" {
		t.Errorf("compression: %v", res.Rows)
	}
	res = query(t, db, "SELECT decode(key), decode(value) FROM parquet_kv_metadata('"+filepath.Join(root, "lake", "calls", "*", "*.parquet")+"') WHERE decode(key) LIKE 'callscope.%' ORDER BY 1")
	kv := map[string]any{}
	for _, r := range res.Rows {
		kv[r[0].(string)] = r[1]
	}
	wantKV := map[string]any{MetaAnalyzerVersion: "test-1.0", MetaMetricsVersion: "1", MetaRunID: "run1", MetaSchemaVersion: SchemaVersion, MetaTable: "calls"}
	if !reflect.DeepEqual(kv, wantKV) {
		t.Errorf("kv metadata %v, want %v", kv, wantKV)
	}
	if v := scalar(t, db, "SELECT count(*) FROM parquet_metadata('"+filepath.Join(root, "lake", "segments", "*", "*.parquet")+"') WHERE stats_min_value IS NULL"); v != int64(0) {
		t.Errorf("segments columns without statistics: %v", v)
	}
}

func TestDictionaryColumnsInArrowSchema(t *testing.T) {
	// The files keep the dictionary type (and the UTC timestamps) in their
	// stored Arrow schema.
	root := t.TempDir()
	writeRecs(t, root, WriterOptions{}, sampleRecording("r1", day0, time.Time{}))
	files, _ := filepath.Glob(filepath.Join(root, "lake", "silences", "*", "*.parquet"))
	rd, err := file.OpenParquetFile(files[0], false)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	sc, err := pqarrow.FromParquet(rd.MetaData().Schema, &pqarrow.ArrowReadProperties{}, rd.MetaData().KeyValueMetadata())
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := sc.FieldsByName("kind"); len(f) != 1 || f[0].Type.String() != "dictionary<values=utf8, indices=int32, ordered=false>" {
		t.Errorf("stored kind type: %v", f)
	}
	if f, _ := sc.FieldsByName("start_time"); len(f) != 1 || f[0].Type.String() != "timestamp[us, tz=UTC]" {
		t.Errorf("stored start_time type: %v", f)
	}

	dict := map[string]bool{}
	for _, tb := range allTables {
		for _, f := range tb.arrowSchema().Fields() {
			if f.Type.ID() == dictType.ID() {
				dict[tb.tableName()+"."+f.Name] = true
			}
		}
	}
	for _, c := range []string{"silences.kind", "overlaps.kind", "channels.role", "channels.participant_kind", "qa_flags.severity", "qa_flags.flag",
		"calls.source", "recording_events.event", "recording_events.action", "recording_events.outcome", "calls.metrics_version", "calls.analyzer_version", "segments.analyzer_version"} {
		if !dict[c] {
			t.Errorf("%s is not dictionary-encoded", c)
		}
	}
}

func TestLatestWins(t *testing.T) {
	root := t.TempDir()
	a1 := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	a2 := a1.Add(time.Hour)
	r1 := sampleRecording("r1", day0, a1)
	r2 := sampleRecording("r2", day0.Add(time.Hour), a1)
	writeRecs(t, root, WriterOptions{}, r1, r2)

	// Re-analysis of r1 in a separate run: fewer segments, no flags, no DTMF.
	r1b := sampleRecording("r1", day0, a2)
	r1b.Segments = r1b.Segments[:1]
	r1b.QAFlags = nil
	r1b.DTMF = nil
	r1b.Call.QAScore = 99
	writeRecs(t, root, WriterOptions{}, r1b)

	db := openDB(t, root)
	for q, want := range map[string]any{
		"SELECT count(*) FROM calls":                                                         int64(2),
		"SELECT qa_score FROM calls WHERE recording_id = 'r1'":                               99.0,
		"SELECT count(*) FROM segments WHERE recording_id = 'r1'":                            int64(1),
		"SELECT count(*) FROM segments WHERE recording_id = 'r2'":                            int64(3),
		"SELECT count(*) FROM qa_flags WHERE recording_id = 'r1'":                            int64(0),
		"SELECT count(*) FROM dtmf WHERE recording_id = 'r1'":                                int64(0),
		"SELECT count(*) FROM channels":                                                      int64(4),
		"SELECT count(*) FROM raw.calls":                                                     int64(3),
		"SELECT count(*) FROM raw.segments WHERE recording_id = 'r1'":                        int64(4),
		"SELECT max(analyzed_at) = min(analyzed_at) FROM channels WHERE recording_id = 'r1'": true,
	} {
		if got := scalar(t, db, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", q, got, want)
		}
	}
}

func TestEmptyLake(t *testing.T) {
	for _, name := range []string{"missing", "empty"} {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "data")
			if name == "empty" {
				if err := os.MkdirAll(filepath.Join(root, "lake", "calls"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			db := openDB(t, root)
			if !db.Empty() {
				t.Error("Empty() = false")
			}
			for _, tb := range Tables() {
				if got := scalar(t, db, "SELECT count(*) FROM "+quoteIdent(tb.Name)); got != int64(0) {
					t.Errorf("%s: %v rows", tb.Name, got)
				}
				res := query(t, db, "SELECT * FROM main."+tb.Name)
				if len(res.Columns) != len(tb.Columns) {
					t.Errorf("%s: columns %v", tb.Name, res.Columns)
				}
			}
			if got := scalar(t, db, "SELECT typeof(start_time) FROM (SELECT start_time FROM calls UNION ALL SELECT TIMESTAMPTZ '2026-01-01 00:00:00+00')"); got != "TIMESTAMP WITH TIME ZONE" {
				t.Errorf("typed empty view: %v", got)
			}
		})
	}
}

func TestBadFilesSkipped(t *testing.T) {
	root := t.TempDir()
	writeRecs(t, root, WriterOptions{}, sampleRecording("r1", day0, time.Time{}))
	part := filepath.Join(root, "lake", "calls", "date=2026-11-20")
	// A text file named .parquet.
	if err := os.WriteFile(filepath.Join(part, "x.parquet"), []byte("this is not parquet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A valid Parquet file with another schema: a segments file under calls.
	segs, _ := filepath.Glob(filepath.Join(root, "lake", "segments", "date=2026-11-20", "*.parquet"))
	data, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(part, "foreign.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// A truncated Parquet file.
	if err := os.WriteFile(filepath.Join(part, "truncated.parquet"), data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	// Outside a partition.
	if err := os.WriteFile(filepath.Join(root, "lake", "calls", "loose.parquet"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// A temporary file is ignored silently.
	if err := os.WriteFile(filepath.Join(part, ".run-9.parquet.tmp-123"), data[:10], 0o644); err != nil {
		t.Fatal(err)
	}

	db := openDB(t, root)
	bad := map[string]string{}
	for _, b := range db.BadFiles() {
		bad[filepath.Base(b.Path)] = b.Err.Error()
	}
	for name, want := range map[string]string{
		"x.parquet":         "not a readable Parquet file",
		"foreign.parquet":   "not a calls file: missing column call_id",
		"truncated.parquet": "Parquet",
		"loose.parquet":     "not in a date=YYYY-MM-DD partition",
	} {
		if !strings.Contains(bad[name], want) {
			t.Errorf("%s: error %q, want it to contain %q", name, bad[name], want)
		}
	}
	if len(bad) != 4 {
		t.Errorf("bad files: %v", bad)
	}
	if got := scalar(t, db, "SELECT count(*) FROM calls"); got != int64(1) {
		t.Errorf("calls: %v", got)
	}
}

func TestBadSQL(t *testing.T) {
	db := openDB(t, t.TempDir())
	_, err := db.Query(ctxT(t), "SELECT recording_id FORM calls")
	if err == nil || !strings.Contains(err.Error(), "syntax error") || !strings.Contains(err.Error(), "LINE 1") {
		t.Errorf("error %v, want DuckDB's syntax error with LINE marker", err)
	}
	_, err = db.Query(ctxT(t), "SELECT nope FROM calls")
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %v, want the unknown column named", err)
	}
}

func FuzzPartitionDate(f *testing.F) {
	for _, s := range []string{"date=2026-11-20/a.parquet", "date=2026-11-20/sub/a.parquet", "a.parquet", "date=/a.parquet", "date=2026-1-2/a.parquet"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		d, ok := partitionDate(rel)
		if !ok {
			return
		}
		p, err := time.Parse(time.DateOnly, d)
		if err != nil || p.Format(time.DateOnly) != d {
			t.Errorf("partitionDate(%q) = %q, not a canonical date", rel, d)
		}
		if !strings.HasPrefix(rel, "date="+d+string(filepath.Separator)) || strings.Count(rel, string(filepath.Separator)) != 1 {
			t.Errorf("partitionDate(%q) accepted a path not of the form date=D/file", rel)
		}
	})
}

// TestAddedColumn checks the rule for schema evolution: a column marked
// Added may be missing from older files (here one written by DuckDB, not
// by the Writer); the views show NULL for their rows, and compaction keeps
// them.
func TestAddedColumn(t *testing.T) {
	root := t.TempDir()
	writeRecs(t, root, WriterOptions{}, sampleRecording("new", day0, time.Time{}))
	db := openDB(t, root)
	old := filepath.Join(root, "lake", "channels", "date=2026-11-20", "old-0.parquet")
	query(t, db, "COPY (SELECT * EXCLUDE (dc_offset, date) REPLACE ('old' AS recording_id) FROM raw.channels) TO '"+old+"' (FORMAT parquet)")
	db.Close()

	for i := range channelsTable.cols {
		if channelsTable.cols[i].Name == "dc_offset" {
			channelsTable.cols[i].Added = "2"
			defer func() { channelsTable.cols[i].Added = "" }()
		}
	}
	clear(validCache)
	defer clear(validCache)
	db = openDB(t, root)
	if bad := db.BadFiles(); len(bad) != 0 {
		t.Fatalf("old file rejected: %v", bad)
	}
	res := query(t, db, "SELECT recording_id, dc_offset FROM raw.channels ORDER BY recording_id, channel")
	want := [][]any{{"new", 0.001}, {"new", 0.0}, {"old", nil}, {"old", nil}}
	if !reflect.DeepEqual(res.Rows, want) {
		t.Errorf("rows %v, want %v", res.Rows, want)
	}
	// With only old files, the column is a typed NULL.
	newFiles, _ := filepath.Glob(filepath.Join(root, "lake", "channels", "*", "run*.parquet"))
	newFiles2, _ := filepath.Glob(filepath.Join(root, "lake", "channels", "*", "2*.parquet"))
	for _, f := range append(newFiles, newFiles2...) {
		os.Remove(f)
	}
	db2 := openDB(t, root)
	res = query(t, db2, "SELECT recording_id, typeof(dc_offset), dc_offset FROM raw.channels")
	if len(res.Rows) != 2 || res.Rows[0][0] != "old" || res.Rows[0][1] != "DOUBLE" || res.Rows[0][2] != nil {
		t.Errorf("only old files: %v", res.Rows)
	}
}

func TestWriterRejectsDuplicateAnalysis(t *testing.T) {
	w, err := NewWriter(t.TempDir(), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	if err := w.Add(sampleRecording("r1", day0, a)); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(sampleRecording("r1", day0, a)); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second Add: %v, want ErrDuplicate", err)
	}
	if err := w.Add(sampleRecording("r1", day0, a.Add(time.Microsecond))); err != nil {
		t.Errorf("re-analysis: %v", err)
	}
	if err := w.Add(&Recording{}); err == nil {
		t.Error("empty recording id accepted")
	}
	if err := w.AddEvents(RecordingEvent{Event: "x"}); err == nil {
		t.Error("event without time accepted")
	}
	if err := w.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(sampleRecording("r2", day0, a)); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	if _, err := NewWriter(t.TempDir(), WriterOptions{RunID: ".hidden"}); err == nil {
		t.Error("run id starting with a dot accepted")
	}
}
