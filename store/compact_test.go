package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dumpViews returns every row of every view, sorted, as text, without the
// generation column (which compaction changes by design).
func dumpViews(t testing.TB, db *DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tb := range Tables() {
		res := query(t, db, "SELECT * EXCLUDE (generation) FROM main."+tb.Name)
		var rows []string
		for _, r := range res.Rows {
			rows = append(rows, fmt.Sprint(r))
		}
		sort.Strings(rows)
		out[tb.Name] = rows
	}
	return out
}

func countFiles(t testing.TB, root string) map[string]int {
	t.Helper()
	n := map[string]int{}
	lk, err := ListLake(root)
	if err != nil {
		t.Fatal(err)
	}
	for table, fs := range lk.Files {
		for _, f := range fs {
			n[table+"/"+f.Date]++
		}
	}
	return n
}

func TestCompact(t *testing.T) {
	root := t.TempDir()
	a1 := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	writeRecs(t, root, WriterOptions{}, sampleRecording("r1", day0, a1), sampleRecording("r2", day0, a1))
	r1b := sampleRecording("r1", day0, a1.Add(time.Hour))
	r1b.Segments = r1b.Segments[:2]
	writeRecs(t, root, WriterOptions{}, r1b)
	writeRecs(t, root, WriterOptions{}, sampleRecording("r3", day0.AddDate(0, 0, 1), a1))
	w, _ := NewWriter(root, WriterOptions{})
	ev := RecordingEvent{Time: day0, RecordingID: "r1", Event: "Microsoft.Communication.RecordingStateChanged", Action: "start", Outcome: "ok"}
	w.AddEvents(ev, ev) // a duplicate delivery
	w.Close(ctxT(t))
	w, _ = NewWriter(root, WriterOptions{})
	w.AddEvents(ev, RecordingEvent{Time: day0.Add(time.Minute), RecordingID: "r1", Event: "Microsoft.Communication.RecordingStateChanged", Action: "stop", Outcome: "ok"})
	w.Close(ctxT(t))

	db := openDB(t, root)
	before := dumpViews(t, db)
	if n := len(before["recording_events"]); n != 2 {
		t.Fatalf("recording_events before compaction: %d rows, want 2", n)
	}
	db.Close()

	var progress []int
	st, err := Compact(ctxT(t), root, "", CompactOptions{Progress: func(done, total int) { progress = append(progress, done, total) }})
	if err != nil {
		t.Fatal(err)
	}
	// date=2026-11-21 has one file per table: untouched.
	if st.Partitions != 1 || st.FilesIn != 8*2+2 || st.FilesOut != 9 {
		t.Errorf("stats %+v", st)
	}
	if !reflect.DeepEqual(progress, []int{0, 2, 1, 2, 2, 2}) {
		t.Errorf("progress %v", progress)
	}
	for k, n := range countFiles(t, root) {
		if n != 1 {
			t.Errorf("%s: %d files after compaction", k, n)
		}
	}
	db = openDB(t, root)
	after := dumpViews(t, db)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("views changed by compaction:\nbefore %v\nafter  %v", before, after)
	}
	for q, want := range map[string]any{
		"SELECT count(*) FROM raw.calls":                                       int64(3),
		"SELECT count(*) FROM raw.segments WHERE recording_id = 'r1'":          int64(2),
		"SELECT count(*) FROM raw.recording_events":                            int64(2),
		"SELECT max(generation) FROM raw.calls WHERE date = DATE '2026-11-20'": int32(1),
	} {
		if got := scalar(t, db, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", q, got, want)
		}
	}
	// Metadata of the compacted file.
	res := query(t, db, "SELECT decode(value) FROM parquet_kv_metadata('"+filepath.Join(root, "lake", "calls", "date=2026-11-20", "*.parquet")+"') WHERE decode(key) = '"+MetaAnalyzerVersion+"'")
	if len(res.Rows) != 1 || res.Rows[0][0] != "test-1.0" {
		t.Errorf("compacted metadata: %v", res.Rows)
	}

	// A second compaction has nothing to do; a re-analysis after it is
	// folded in by the next.
	if st, err := Compact(ctxT(t), root, "", CompactOptions{}); err != nil || st.Partitions != 0 {
		t.Errorf("second compaction: %+v, %v", st, err)
	}
	r1c := sampleRecording("r1", day0, a1.Add(2*time.Hour))
	r1c.Call.QAScore = 1
	writeRecs(t, root, WriterOptions{}, r1c)
	if _, err := Compact(ctxT(t), root, "2026-11-20", CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	db2 := openDB(t, root)
	for q, want := range map[string]any{
		"SELECT qa_score FROM calls WHERE recording_id = 'r1'":        1.0,
		"SELECT count(*) FROM segments WHERE recording_id = 'r1'":     int64(3),
		"SELECT count(*) FROM raw.segments WHERE recording_id = 'r1'": int64(3),
		"SELECT count(*) FROM calls":                                  int64(3),
	} {
		if got := scalar(t, db2, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", q, got, want)
		}
	}
	if _, err := Compact(ctxT(t), root, "20261120", CompactOptions{}); err == nil {
		t.Error("bad date accepted")
	}
}

func TestCompactLock(t *testing.T) {
	root := t.TempDir()
	writeRecs(t, root, WriterOptions{}, sampleRecording("r1", day0, time.Time{}))
	unlock, err := lockLake(LakeDir(root))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := Compact(ctxT(t), root, "", CompactOptions{}); !errors.Is(err, ErrCompacting) {
		t.Errorf("err %v, want ErrCompacting", err)
	}
}

// TestCompactConcurrentWrites runs compactions while a writer appends new
// recordings and re-analyses (one flush each) and a reader checks that every
// recording committed before its query is visible exactly once, with the
// child rows of exactly its latest analysis.
func TestCompactConcurrentWrites(t *testing.T) {
	root := t.TempDir()
	n := 20
	if testing.Short() {
		n = 12
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	var committed atomic.Int64 // recordings rec-0..committed-1 are visible
	var wg sync.WaitGroup
	errc := make(chan error, 16)

	// Writer: recording i is written, then re-analysed with a different
	// number of segments; turns = number of segments identifies the analysis.
	wg.Add(1)
	go func() {
		defer wg.Done()
		w, err := NewWriter(root, WriterOptions{})
		if err != nil {
			errc <- err
			return
		}
		base := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		for i := 0; i < n; i++ {
			for k := 0; k < 2; k++ {
				rec := sampleRecording(fmt.Sprintf("rec-%03d", i), day0.Add(time.Duration(i%3)*24*time.Hour), base.Add(time.Duration(i*10+k)*time.Second))
				rec.Segments = rec.Segments[:1+(i+k)%3]
				rec.Call.Turns = len(rec.Segments)
				if err := w.Add(rec); err != nil {
					errc <- err
					return
				}
				if err := w.Flush(ctx); err != nil {
					errc <- err
					return
				}
			}
			committed.Store(int64(i + 1))
		}
		errc <- w.Close(ctx)
	}()

	// Compactor.
	done := make(chan struct{})
	compactions := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := Compact(ctx, root, "", CompactOptions{}); err != nil {
				errc <- fmt.Errorf("compact: %w", err)
				return
			}
			compactions++
		}
	}()

	// Reader.
	checks := 0
	check := func(db *DB, want int64) {
		t.Helper()
		res, err := db.Query(ctx, `SELECT
			(SELECT count(*) FROM calls),
			(SELECT count(DISTINCT recording_id) FROM calls),
			(SELECT count(*) FROM calls c WHERE c.turns <> (SELECT count(*) FROM segments s WHERE s.recording_id = c.recording_id)),
			(SELECT count(*) FROM calls c WHERE 2 <> (SELECT count(*) FROM channels s WHERE s.recording_id = c.recording_id))`)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		r := res.Rows[0]
		total, distinct, badSegs, badChans := r[0].(int64), r[1].(int64), r[2].(int64), r[3].(int64)
		if total != distinct {
			t.Errorf("duplicate calls: %d rows, %d recordings", total, distinct)
		}
		if total < want {
			t.Errorf("missing calls: %d visible, %d committed", total, want)
		}
		if badSegs != 0 || badChans != 0 {
			t.Errorf("%d calls with the segments, %d with the channels of another analysis", badSegs, badChans)
		}
		checks++
	}
	for committed.Load() < int64(n) && !t.Failed() {
		want := committed.Load()
		db, err := Open(ctx, root, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(db, want)
		// The same DB again after the lake moved on: Query refreshes
		// itself when a listed file has been compacted away.
		time.Sleep(5 * time.Millisecond)
		check(db, want)
		db.Close()
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Compact(ctxT(t), root, "", CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, root)
	check(db, int64(n))
	if got := scalar(t, db, "SELECT count(*) FROM calls"); got != int64(n) {
		t.Errorf("calls: %v, want %d", got, n)
	}
	if got := scalar(t, db, "SELECT count(*) FROM raw.calls"); got != int64(n) {
		t.Errorf("raw.calls after the final compaction: %v, want %d", got, n)
	}
	// Every recording shows its second analysis.
	if got := scalar(t, db, "SELECT count(*) FROM calls WHERE epoch(analyzed_at)::BIGINT % 10 <> 1"); got != int64(0) {
		t.Errorf("%v calls show the first analysis", got)
	}
	t.Logf("%d compactions, %d reader checks", compactions, checks)
	if _, err := os.Stat(filepath.Join(root, "lake", ".compact.lock")); err != nil {
		t.Error(err)
	}
}

// TestCompactPendingFiles: child files whose calls file is not there yet
// (a writer between the two, or one that crashed there) are left alone
// while young, and dropped once older than StaleTemp.
func TestCompactPendingFiles(t *testing.T) {
	root := t.TempDir()
	a1 := time.Date(2026, 11, 21, 1, 0, 0, 0, time.UTC)
	writeRecs(t, root, WriterOptions{RunID: "one"}, sampleRecording("r1", day0, a1))
	writeRecs(t, root, WriterOptions{RunID: "two"}, sampleRecording("r2", day0, a1))
	r1b := sampleRecording("r1", day0, a1.Add(time.Hour))
	r1b.Segments = r1b.Segments[:1]
	writeRecs(t, root, WriterOptions{RunID: "pending"}, r1b)
	// Remove the pending run's calls file: its child files are uncommitted.
	callsFiles, _ := filepath.Glob(filepath.Join(root, "lake", "calls", "*", "pending-*.parquet"))
	if len(callsFiles) != 1 {
		t.Fatalf("calls files %v", callsFiles)
	}
	os.Remove(callsFiles[0])
	db := openDB(t, root)
	before := dumpViews(t, db)
	db.Close()

	if _, err := Compact(ctxT(t), root, "", CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	pending, _ := filepath.Glob(filepath.Join(root, "lake", "*", "*", "pending-*.parquet"))
	if len(pending) != 7 {
		t.Errorf("young pending child files: %d left, want all 7", len(pending))
	}
	db = openDB(t, root)
	if after := dumpViews(t, db); !reflect.DeepEqual(before, after) {
		t.Errorf("views changed:\n%v\n%v", before, after)
	}
	// The calls file arrives after all: the pending analysis becomes the
	// latest, complete.
	db.Close()
	writeRecs(t, root, WriterOptions{RunID: "late"}, &Recording{Call: r1b.Call})
	db = openDB(t, root)
	if got := scalar(t, db, "SELECT count(*) FROM segments WHERE recording_id = 'r1'"); got != int64(1) {
		t.Errorf("segments of the late-committed analysis: %v, want 1", got)
	}
	db.Close()

	// A crashed writer's leftovers, once stale, are dropped.
	r1c := sampleRecording("r1", day0, a1.Add(2*time.Hour))
	writeRecs(t, root, WriterOptions{RunID: "crashed"}, r1c)
	callsFiles, _ = filepath.Glob(filepath.Join(root, "lake", "calls", "*", "crashed-*.parquet"))
	os.Remove(callsFiles[0])
	if _, err := Compact(ctxT(t), root, "", CompactOptions{StaleTemp: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, root)
	for q, want := range map[string]any{
		"SELECT count(*) FROM raw.segments WHERE recording_id = 'r1'": int64(1),
		"SELECT count(*) FROM segments WHERE recording_id = 'r1'":     int64(1),
		"SELECT count(*) FROM raw.calls":                              int64(2),
	} {
		if got := scalar(t, db, q); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", q, got, want)
		}
	}
}
