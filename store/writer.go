package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"
)

// WriterOptions configure a Writer. The zero value of a field means its
// default (see DefaultWriterOptions).
type WriterOptions struct {
	// RowGroupRows is the Parquet row-group length. Default 65536: large
	// enough for fast scans, small enough for bounded write memory.
	RowGroupRows int `yaml:"row_group_rows"`
	// MaxBufferedRows is how many rows (over all tables) Add buffers before
	// it flushes on its own. Default 100000 (tens of MiB of Arrow buffers
	// at peak); larger means fewer, bigger files and fewer fsyncs.
	MaxBufferedRows int `yaml:"max_buffered_rows"`
	// RunID names this writer's files: <run-id>-<n>.parquet. Default: the
	// UTC start time and 8 random hex digits, e.g. 20261121T205000Z-3fa2c9d1.
	// Letters, digits, '.', '_' and '-' only, not starting with '.'.
	RunID string `yaml:"-"`
	// Logger receives one debug line per file written; nil discards.
	Logger *slog.Logger `yaml:"-"`
}

// DefaultWriterOptions returns the defaults.
func DefaultWriterOptions() WriterOptions {
	return WriterOptions{RowGroupRows: 64 << 10, MaxBufferedRows: 100_000}
}

var runIDRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$`)

// NewRunID returns a fresh run id: UTC time and random hex.
func NewRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Writer appends analyses to the lake. It buffers rows per table and
// partition and writes each as one new Parquet file when it flushes. A
// Writer is safe for concurrent use.
type Writer struct {
	root string
	opts WriterOptions
	log  *slog.Logger

	mu       sync.Mutex
	added    map[string]struct{} // recording id + analyzed_at of every Add
	seq      int
	buffered int
	closed   bool
	bufs     []tableBuf // in allTables order
	calls    *partBuf[Call]
	channels *partBuf[Channel]
	segments *partBuf[Segment]
	silences *partBuf[Silence]
	overlaps *partBuf[Overlap]
	dtmf     *partBuf[DTMF]
	flags    *partBuf[QAFlag]
	pauses   *partBuf[Pause]
	events   *partBuf[RecordingEvent]
}

// NewWriter returns a Writer for the dataset under root (the --data
// directory); files go to root/lake/<table>/date=YYYY-MM-DD/.
func NewWriter(root string, opts WriterOptions) (*Writer, error) {
	def := DefaultWriterOptions()
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = def.RowGroupRows
	}
	if opts.MaxBufferedRows <= 0 {
		opts.MaxBufferedRows = def.MaxBufferedRows
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
	}
	if !runIDRE.MatchString(opts.RunID) {
		return nil, fmt.Errorf("store writer: run id %q: want letters, digits, '.', '_', '-', not starting with '.'", opts.RunID)
	}
	if root == "" {
		return nil, errors.New("store writer: empty data root")
	}
	if err := mkdirAllSync(LakeDir(root)); err != nil {
		return nil, fmt.Errorf("store writer: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{root: root, opts: opts, log: log, added: map[string]struct{}{}}
	w.calls = newPartBuf(callsTable, opts.RowGroupRows)
	w.channels = newPartBuf(channelsTable, opts.RowGroupRows)
	w.segments = newPartBuf(segmentsTable, opts.RowGroupRows)
	w.silences = newPartBuf(silencesTable, opts.RowGroupRows)
	w.overlaps = newPartBuf(overlapsTable, opts.RowGroupRows)
	w.dtmf = newPartBuf(dtmfTable, opts.RowGroupRows)
	w.flags = newPartBuf(qaFlagsTable, opts.RowGroupRows)
	w.pauses = newPartBuf(pausesTable, opts.RowGroupRows)
	w.events = newPartBuf(eventsTable, opts.RowGroupRows)
	// Child tables first, calls last: the calls file commits an analysis.
	w.bufs = []tableBuf{w.channels, w.segments, w.silences, w.overlaps, w.dtmf, w.flags, w.pauses, w.calls, w.events}
	return w, nil
}

// RunID returns the run id naming this writer's files.
func (w *Writer) RunID() string { return w.opts.RunID }

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("store writer closed")

// ErrDuplicate is returned by Add for an analysis this Writer has already
// buffered: its rows would show twice in the views.
var ErrDuplicate = errors.New("analysis added twice")

// Add buffers one analysis of one recording. It fills recording_id,
// analyzed_at (the current time when rec.Call.AnalyzedAt is zero; always
// truncated to microseconds) and analyzer_version of every child row from
// rec.Call, and partitions all rows by the UTC date of Call.StartTime
// (AnalyzedAt when StartTime is zero). When the buffers exceed
// MaxBufferedRows, Add flushes them; if that flush fails, rec is buffered
// all the same (Flush or Close retries): do not Add it again. Adding the
// same (recording id, AnalyzedAt) twice to one Writer fails with
// ErrDuplicate (checked among the analyses buffered since the last
// successful flush). Add does not keep rec.
func (w *Writer) Add(rec *Recording) error {
	if rec == nil {
		return errors.New("store: Add(nil)")
	}
	c := rec.Call
	if c.RecordingID == "" {
		return errors.New("store: Add: empty recording id")
	}
	if c.AnalyzedAt.IsZero() {
		c.AnalyzedAt = time.Now()
	}
	c.AnalyzedAt = c.AnalyzedAt.UTC().Truncate(time.Microsecond)
	c.StartTime = c.StartTime.UTC()
	c.EndTime = c.EndTime.UTC()
	if c.QAFlags != nil {
		c.QAFlags = append([]string(nil), c.QAFlags...)
	}
	day := c.StartTime
	if day.IsZero() {
		day = c.AnalyzedAt
	}
	date := utcDate(day).Format(time.DateOnly)
	cm := common{recordingID: c.RecordingID, analyzedAt: c.AnalyzedAt, analyzerVersion: c.AnalyzerVersion, generation: c.Generation, metricsVersion: c.MetricsVersion}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	key := c.RecordingID + "\x00" + c.AnalyzedAt.Format(time.RFC3339Nano)
	if _, dup := w.added[key]; dup {
		return fmt.Errorf("store: Add %s analyzed at %s: %w", c.RecordingID, c.AnalyzedAt.Format(time.RFC3339Nano), ErrDuplicate)
	}
	w.added[key] = struct{}{}
	n := 1
	n += addRows(w.channels, date, rec.Channels, cm, func(r *Channel) *common { return &r.common })
	n += addRows(w.segments, date, rec.Segments, cm, func(r *Segment) *common { return &r.common })
	n += addRows(w.silences, date, rec.Silences, cm, func(r *Silence) *common {
		if r.DurationS == 0 {
			r.DurationS = r.EndS - r.StartS
		}
		return &r.common
	})
	n += addRows(w.overlaps, date, rec.Overlaps, cm, func(r *Overlap) *common { return &r.common })
	n += addRows(w.dtmf, date, rec.DTMF, cm, func(r *DTMF) *common { return &r.common })
	n += addRows(w.flags, date, rec.QAFlags, cm, func(r *QAFlag) *common {
		if r.Channel != nil {
			v := *r.Channel
			r.Channel = &v
		}
		if r.StartS != nil {
			v := *r.StartS
			r.StartS = &v
		}
		return &r.common
	})
	n += addRows(w.pauses, date, rec.Pauses, cm, func(r *Pause) *common { return &r.common })
	w.calls.add(date, &c)
	w.buffered += n
	if w.buffered >= w.opts.MaxBufferedRows {
		return w.flushLocked(context.Background())
	}
	return nil
}

func addRows[R any](b *partBuf[R], date string, rows []R, cm common, f func(*R) *common) int {
	if len(rows) == 0 {
		return 0
	}
	// One partition lookup and one version entry per recording: every row
	// shares cm.
	p := b.part(date)
	for i := range rows {
		r := rows[i]
		*f(&r) = cm
		b.put(p, &r, i == 0)
	}
	return len(rows)
}

// AddEvents buffers recording events, partitioned by the UTC date of their
// Time. An empty EventID is derived from the other fields, a zero
// AnalyzedAt set to the current time.
func (w *Writer) AddEvents(evs ...RecordingEvent) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, e := range evs {
		if e.Time.IsZero() {
			return fmt.Errorf("store: AddEvents: event %q of recording %q has no time", e.Event, e.RecordingID)
		}
		e.Time = e.Time.UTC()
		if e.AnalyzedAt.IsZero() {
			e.AnalyzedAt = now
		}
		e.AnalyzedAt = e.AnalyzedAt.UTC().Truncate(time.Microsecond)
		if e.EventID == "" {
			e.EventID = eventID(&e)
		}
		w.events.add(utcDate(e.Time).Format(time.DateOnly), &e)
	}
	w.buffered += len(evs)
	if w.buffered >= w.opts.MaxBufferedRows {
		return w.flushLocked(context.Background())
	}
	return nil
}

func eventID(e *RecordingEvent) string {
	h := sha256.New()
	for _, s := range []string{e.Time.UTC().Format(time.RFC3339Nano), e.RecordingID, e.ServerCallID, e.CorrelationID, e.Event, e.Action, e.Rule, e.Outcome, e.Detail} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Flush writes every buffered table and partition as one new file each,
// child tables before calls. Each file appears atomically. On error the
// rows not yet written stay buffered, and a later Flush retries them.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked(ctx)
}

func (w *Writer) flushLocked(ctx context.Context) error {
	// Child tables in parallel (one goroutine per table, at most one per
	// CPU), then calls, which commits them, then events.
	type job struct {
		b           tableBuf
		dates       []string
		names       []string
		rows, files int
	}
	var children, commit []*job
	for _, b := range w.bufs {
		j := &job{b: b, dates: b.dates()}
		for range j.dates {
			j.names = append(j.names, fmt.Sprintf("%s-%d.parquet", w.opts.RunID, w.seq))
			w.seq++
		}
		if b.name() == "calls" || b.name() == "recording_events" {
			commit = append(commit, j)
		} else {
			children = append(children, j)
		}
	}
	run := func(j *job) error {
		for i, date := range j.dates {
			n, err := j.b.write(ctx, partitionDir(w.root, j.b.name(), date), j.names[i], date, w.opts)
			if err != nil {
				return fmt.Errorf("store: flush %s date=%s: %w", j.b.name(), date, err)
			}
			j.rows += n
			j.files++
			w.log.Debug("wrote parquet", "table", j.b.name(), "date", date, "file", j.names[i], "rows", n)
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, j := range children {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return run(j)
		})
	}
	err := g.Wait()
	for _, j := range children {
		w.buffered -= j.rows
	}
	if err != nil {
		return err
	}
	for _, j := range commit {
		err := run(j)
		w.buffered -= j.rows
		if err != nil {
			return err
		}
	}
	w.buffered = 0
	clear(w.added)
	return nil
}

// Close flushes and closes the writer. Further calls to Add fail with
// ErrClosed; Close is idempotent.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if err := w.flushLocked(ctx); err != nil {
		return err
	}
	w.closed = true
	return nil
}

// tableBuf is a partBuf without its row type.
type tableBuf interface {
	name() string
	dates() []string
	// write writes and drops the rows of one partition, returning how many.
	write(ctx context.Context, dir, file, date string, opts WriterOptions) (int, error)
}

// partBuf buffers the rows of one table per partition date, as Arrow
// column builders (no per-row Go objects for the garbage collector to
// scan), cut into records of RowGroupRows rows.
type partBuf[R any] struct {
	t            *tableDef[R]
	rowGroupRows int
	parts        map[string]*colBuf
}

// colBuf is one partition's buffered rows.
type colBuf struct {
	builders []array.Builder
	n        int                 // rows in builders
	done     []arrow.RecordBatch // full row groups
	rows     int                 // all rows
	versions map[[2]string]bool  // (metrics, analyzer) versions seen
}

func newPartBuf[R any](t *tableDef[R], rowGroupRows int) *partBuf[R] {
	return &partBuf[R]{t: t, rowGroupRows: rowGroupRows, parts: map[string]*colBuf{}}
}

func (b *partBuf[R]) add(date string, r *R) { b.put(b.part(date), r, true) }

// part returns the buffer of one date partition, creating it.
func (b *partBuf[R]) part(date string) *colBuf {
	p := b.parts[date]
	if p == nil {
		p = &colBuf{builders: make([]array.Builder, len(b.t.cols)), versions: map[[2]string]bool{}}
		for i, c := range b.t.cols {
			p.builders[i] = array.NewBuilder(memory.DefaultAllocator, c.arrow)
		}
		b.parts[date] = p
	}
	return p
}

// put appends one row to p; versions says whether to record the row's
// (metrics, analyzer) versions (rows of one recording share them).
func (b *partBuf[R]) put(p *colBuf, r *R, versions bool) {
	for i, c := range b.t.cols {
		c.put(p.builders[i], r)
	}
	if versions && b.t.versions != nil {
		m, a := b.t.versions(r)
		p.versions[[2]string{m, a}] = true
	}
	p.n++
	p.rows++
	if p.n >= b.rowGroupRows {
		p.cut(b.t.schema)
	}
}

// cut turns the builders' rows into a record.
func (p *colBuf) cut(schema *arrow.Schema) {
	if p.n == 0 {
		return
	}
	cols := make([]arrow.Array, len(p.builders))
	for i, bl := range p.builders {
		cols[i] = bl.NewArray()
	}
	p.done = append(p.done, array.NewRecordBatch(schema, cols, int64(p.n)))
	for _, c := range cols {
		c.Release()
	}
	p.n = 0
}

func (p *colBuf) release() {
	for _, r := range p.done {
		r.Release()
	}
	for _, bl := range p.builders {
		bl.Release()
	}
}

func (b *partBuf[R]) name() string { return b.t.name }

func (b *partBuf[R]) dates() []string {
	out := make([]string, 0, len(b.parts))
	for d := range b.parts {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func (b *partBuf[R]) write(ctx context.Context, dir, file, date string, opts WriterOptions) (int, error) {
	p := b.parts[date]
	p.cut(b.t.schema)
	meta := func() map[string]string {
		m := fileMeta(b.t, nil, opts.RunID)
		mv, av := map[string]bool{}, map[string]bool{}
		for v := range p.versions {
			mv[v[0]], av[v[1]] = true, true
		}
		setVersions(m, mv, av)
		return m
	}
	if err := writeParquet(ctx, b.t, dir, file, opts.RowGroupRows, meta, p.done, nil); err != nil {
		return 0, err // the rows stay buffered for a later Flush
	}
	delete(b.parts, date)
	p.release()
	return p.rows, nil
}

// setVersions records the distinct non-empty metrics and analyzer versions
// in file metadata m.
func setVersions(m map[string]string, mv, av map[string]bool) {
	for key, set := range map[string]map[string]bool{MetaMetricsVersion: mv, MetaAnalyzerVersion: av} {
		var vs []string
		for v := range set {
			if v != "" {
				vs = append(vs, v)
			}
		}
		sort.Strings(vs)
		if len(vs) > 0 {
			m[key] = strings.Join(vs, ",")
		}
	}
}

// fileMeta returns the key-value metadata every file gets: schema
// version, table and run id (setVersions adds the versions).
func fileMeta[R any](t *tableDef[R], _ []R, runID string) map[string]string {
	return map[string]string{
		MetaSchemaVersion: SchemaVersion,
		MetaTable:         t.name,
		MetaRunID:         runID,
	}
}
