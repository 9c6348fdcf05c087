package spool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// State of an item.
type State string

// Item states. Pending items are handed out by Next; Failed items wait
// for an operator (Retry or Drop); Done and Dropped items are kept (without
// their payload) so a redelivered event is recognised as a duplicate.
const (
	Pending State = "pending"
	Done    State = "done"
	Failed  State = "failed"
	Dropped State = "dropped"
)

// Item is one unit of work: normally one received event.
type Item struct {
	ID          string          `json:"id"`
	Seq         uint64          `json:"seq"`
	Type        string          `json:"type,omitempty"`
	RecordingID string          `json:"recordingId,omitempty"`
	DocumentIDs []string        `json:"documentIds,omitempty"`
	Event       json.RawMessage `json:"event,omitempty"`
	State       State           `json:"state"`
	Attempts    int             `json:"attempts,omitempty"`
	LastError   string          `json:"lastError,omitempty"`
	EnqueuedAt  time.Time       `json:"enqueuedAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
	NotBefore   time.Time       `json:"notBefore,omitzero"`
}

// Options configures a Spool.
type Options struct {
	// SegmentBytes triggers compaction when the active journal segment
	// grows past it (and past twice the live state the last compaction
	// wrote, so that a backlog larger than this costs amortised O(1) per
	// write, not a rewrite per batch). Default 64 MiB.
	SegmentBytes int64 `yaml:"segment_bytes"`
	// MaxBatch bounds the requests group-committed by one fsync. Default 512.
	MaxBatch int `yaml:"max_batch"`
	// DoneRetention is how long done and dropped items are remembered for
	// deduplication after their last update. Default 7 days (Event Grid
	// retries for at most 24 h).
	DoneRetention time.Duration `yaml:"done_retention"`
	Logger        *slog.Logger  `yaml:"-"`
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{SegmentBytes: 64 << 20, MaxBatch: 512, DoneRetention: 7 * 24 * time.Hour}
}

// Errors.
var (
	ErrLocked   = errors.New("spool is locked by another process")
	ErrClosed   = errors.New("spool is closed")
	ErrNotFound = errors.New("no such spool item")
	ErrReadOnly = errors.New("spool is open read-only")
)

// CorruptError reports a damaged journal record that is not a torn tail.
type CorruptError struct {
	Path   string
	Offset int64
	Err    error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("spool journal %s corrupt at byte %d: %v", e.Path, e.Offset, e.Err)
}
func (e *CorruptError) Unwrap() error { return e.Err }

var crcTable = crc32.MakeTable(crc32.Castagnoli)

const lockName = "LOCK"

// Spool is a durable queue. Its methods are safe for concurrent use.
type Spool struct {
	dir      string
	o        Options
	log      *slog.Logger
	readOnly bool
	lock     *os.File

	mu       sync.Mutex
	items    map[string]*Item
	pending  map[string]*Item
	docs     map[string]string // recordingId\x00documentId -> item id
	inflight map[string]chan struct{}
	leased   map[string]bool // item ids handed out
	leasedRc map[string]bool // recording ids handed out
	seq      uint64
	changed  chan struct{} // closed and replaced on every change
	broken   error
	sendMu   sync.RWMutex // submit holds R while sending; Close holds W

	// writer state (owned by the writer goroutine after Open)
	f       *os.File
	segNo   int
	segSize int
	// liveSize is the size of the segment the last compaction wrote: the
	// live state. Compaction waits until the segment has grown to twice
	// that, so a large backlog is not rewritten after every batch.
	liveSize int
	reqs     chan *writeReq
	closing  chan struct{}
	wg       sync.WaitGroup
	closed   bool
}

type writeReq struct {
	data  []byte
	apply func() // runs under s.mu after a successful sync
	done  chan error
}

func segName(n int) string { return fmt.Sprintf("journal-%08d.log", n) }

// Open opens (creating if needed) the spool in dir and replays its journal.
func Open(dir string, o Options) (*Spool, error) {
	s, err := open(dir, o, false)
	if err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// OpenReadOnly loads the spool in dir for inspection without taking its
// lock; it does not repair a torn tail. Mutating methods return ErrReadOnly.
func OpenReadOnly(dir string) (*Spool, error) { return open(dir, DefaultOptions(), true) }

func open(dir string, o Options, ro bool) (*Spool, error) {
	d := DefaultOptions()
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = d.SegmentBytes
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = d.MaxBatch
	}
	if o.DoneRetention <= 0 {
		o.DoneRetention = d.DoneRetention
	}
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	s := &Spool{
		dir: dir, o: o, log: l.WithGroup("spool"), readOnly: ro,
		items: map[string]*Item{}, pending: map[string]*Item{}, docs: map[string]string{},
		inflight: map[string]chan struct{}{}, leased: map[string]bool{}, leasedRc: map[string]bool{},
		changed: make(chan struct{}), reqs: make(chan *writeReq, 1024), closing: make(chan struct{}),
	}
	if !ro {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create spool: %w", err)
		}
		lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o640)
		if err != nil {
			return nil, fmt.Errorf("open spool lock: %w", err)
		}
		if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			lf.Close()
			return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
		}
		s.lock = lf
	}
	segs, err := s.segments()
	if err != nil {
		s.unlock()
		return nil, err
	}
	for i, n := range segs {
		if err := s.replay(n, i == len(segs)-1); err != nil {
			s.unlock()
			return nil, err
		}
	}
	if ro {
		return s, nil
	}
	// Remove leftovers of an interrupted compaction.
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) > 0 {
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	if len(segs) == 0 {
		s.segNo = 1
	} else {
		s.segNo = segs[len(segs)-1]
	}
	f, err := os.OpenFile(filepath.Join(dir, segName(s.segNo)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		s.unlock()
		return nil, fmt.Errorf("open spool journal: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		s.unlock()
		return nil, fmt.Errorf("stat spool journal: %w", err)
	}
	s.f, s.segSize = f, int(st.Size())
	if len(segs) == 0 {
		if err := syncDir(dir); err != nil {
			f.Close()
			s.unlock()
			return nil, err
		}
	}
	return s, nil
}

func (s *Spool) unlock() {
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

func (s *Spool) segments() ([]int, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) && s.readOnly {
		return nil, nil // nothing spooled yet
	}
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	var ns []int
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "journal-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "journal-"), ".log"))
		if err != nil {
			continue
		}
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns, nil
}

// encode returns one journal line for it.
func encode(it *Item) ([]byte, error) {
	js, err := json.Marshal(it)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(js)+10)
	line = fmt.Appendf(line, "%08x ", crc32.Checksum(js, crcTable))
	line = append(line, js...)
	return append(line, '\n'), nil
}

func decodeLine(line []byte) (*Item, error) {
	if len(line) < 10 || line[8] != ' ' || line[len(line)-1] != '\n' {
		return nil, errors.New("short or unterminated record")
	}
	want, err := strconv.ParseUint(string(line[:8]), 16, 32)
	if err != nil {
		return nil, fmt.Errorf("bad checksum field: %w", err)
	}
	js := line[9 : len(line)-1]
	if crc32.Checksum(js, crcTable) != uint32(want) {
		return nil, errors.New("checksum mismatch")
	}
	var it Item
	if err := json.Unmarshal(js, &it); err != nil {
		return nil, err
	}
	if it.ID == "" {
		return nil, errors.New("record without id")
	}
	return &it, nil
}

func (s *Spool) replay(n int, last bool) error {
	p := filepath.Join(s.dir, segName(n))
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open spool journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var off int64
	for {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read spool journal %s: %w", p, err)
		}
		it, derr := decodeLine(line)
		if derr != nil {
			// Only the tail of the last segment can be torn by a crash:
			// anything after it was never written (appends are ordered)
			// and this record was never acknowledged.
			rest, _ := io.ReadAll(r)
			if last && !bytes.Contains(rest, []byte{'\n'}) {
				s.log.Warn("cutting torn record off the journal tail", "file", p, "offset", off, "bytes", int64(len(line)+len(rest)))
				if !s.readOnly {
					if err := os.Truncate(p, off); err != nil {
						return fmt.Errorf("truncate torn spool journal: %w", err)
					}
				}
				return nil
			}
			return &CorruptError{Path: p, Offset: off, Err: derr}
		}
		s.applyRecord(it)
		off += int64(len(line))
	}
}

// applyRecord merges a journal record into memory (replay and after sync).
// Caller holds s.mu or is single-threaded.
func (s *Spool) applyRecord(it *Item) {
	if it.Seq > s.seq {
		s.seq = it.Seq
	}
	cur, ok := s.items[it.ID]
	if ok && it.Event == nil {
		it.Event = cur.Event
	}
	if ok && len(it.DocumentIDs) == 0 {
		it.DocumentIDs = cur.DocumentIDs
	}
	s.items[it.ID] = it
	for _, d := range it.DocumentIDs {
		if it.RecordingID != "" {
			s.docs[it.RecordingID+"\x00"+d] = it.ID
		}
	}
	if it.State == Pending {
		s.pending[it.ID] = it
	} else {
		delete(s.pending, it.ID)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for fsync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

// writer group-commits write requests.
func (s *Spool) writer() {
	defer s.wg.Done()
	batch := make([]*writeReq, 0, s.o.MaxBatch)
	var buf bytes.Buffer
	for {
		batch = batch[:0]
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		case <-s.closing:
			// Drain what was queued before Close.
			for {
				select {
				case r := <-s.reqs:
					batch = append(batch, r)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				s.commit(batch, &buf)
			}
			return
		}
	drain:
		for len(batch) < s.o.MaxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch, &buf)
		if int64(s.segSize) > s.o.SegmentBytes && s.segSize > 2*s.liveSize {
			if err := s.compact(); err != nil {
				s.log.Error("spool compaction failed", "err", err)
			}
		}
	}
}

func (s *Spool) commit(batch []*writeReq, buf *bytes.Buffer) {
	s.mu.Lock()
	broken := s.broken
	s.mu.Unlock()
	err := broken
	if err == nil {
		buf.Reset()
		for _, r := range batch {
			buf.Write(r.data)
		}
		var n int
		n, err = s.f.Write(buf.Bytes())
		if err == nil {
			err = s.f.Sync()
		}
		if err != nil {
			err = fmt.Errorf("write spool journal: %w", err)
			// Cut a partial write off so later records stay readable.
			if terr := s.f.Truncate(int64(s.segSize)); terr != nil {
				s.mu.Lock()
				s.broken = fmt.Errorf("spool journal unusable after failed write (%v) and failed truncate: %w", err, terr)
				s.mu.Unlock()
			}
		} else {
			s.segSize += n
		}
	}
	s.mu.Lock()
	if err == nil {
		for _, r := range batch {
			if r.apply != nil {
				r.apply()
			}
		}
	}
	s.mu.Unlock()
	for _, r := range batch {
		r.done <- err
	}
	if err == nil {
		s.wake()
	}
}

func (s *Spool) wake() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// compact rewrites the live state into a new segment and removes the old
// ones. It runs on the writer goroutine.
func (s *Spool) compact() error {
	s.mu.Lock()
	cutoff := time.Now().Add(-s.o.DoneRetention)
	var lines bytes.Buffer
	ids := make([]*Item, 0, len(s.items))
	for _, it := range s.items {
		ids = append(ids, it)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Seq < ids[j].Seq })
	for _, it := range ids {
		if (it.State == Done || it.State == Dropped) && it.UpdatedAt.Before(cutoff) {
			delete(s.items, it.ID)
			for _, d := range it.DocumentIDs {
				delete(s.docs, it.RecordingID+"\x00"+d)
			}
			continue
		}
		c := *it
		if c.State == Done {
			c.Event = nil // the recording folder keeps the event
			it.Event = nil
		}
		b, err := encode(&c)
		if err != nil {
			s.mu.Unlock()
			return err
		}
		lines.Write(b)
	}
	s.mu.Unlock()
	next := s.segNo + 1
	final := filepath.Join(s.dir, segName(next))
	tmp := final + ".tmp"
	if err := writeFileSync(tmp, lines.Bytes()); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("install compacted journal: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	f, err := os.OpenFile(final, os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("open compacted journal: %w", err)
	}
	old := s.segNo
	s.f.Close()
	s.f, s.segNo, s.segSize, s.liveSize = f, next, lines.Len(), lines.Len()
	for n := old; n >= 1; n-- {
		p := filepath.Join(s.dir, segName(n))
		if err := os.Remove(p); errors.Is(err, os.ErrNotExist) && n < old {
			break
		}
	}
	s.log.Info("spool compacted", "segment", segName(next), "bytes", lines.Len())
	return syncDir(s.dir)
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// submit queues data for the writer and waits for the fsync.
func (s *Spool) submit(data []byte, apply func()) error {
	if s.readOnly {
		return ErrReadOnly
	}
	r := &writeReq{data: data, apply: apply, done: make(chan error, 1)}
	s.sendMu.RLock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.sendMu.RUnlock()
		return ErrClosed
	}
	s.reqs <- r
	s.sendMu.RUnlock()
	return <-r.done
}

func docKeys(it *Item) []string {
	if it.RecordingID == "" {
		return nil
	}
	ks := make([]string, len(it.DocumentIDs))
	for i, d := range it.DocumentIDs {
		ks[i] = it.RecordingID + "\x00" + d
	}
	return ks
}

// PutResult says what Put did with one item.
type PutResult int

// Put outcomes.
const (
	Added          PutResult = iota
	DuplicateID              // an item with this ID is known
	DuplicateChunk           // all its (recording, document) pairs are known
)

// Put stores items durably, skipping duplicates. It returns once every
// item (new or a duplicate still being written by a concurrent Put) is on
// disk. ctx only bounds waiting for concurrent writers of duplicates.
func (s *Spool) Put(ctx context.Context, items ...Item) ([]PutResult, error) {
	if s.readOnly {
		return nil, ErrReadOnly
	}
	res := make([]PutResult, len(items))
	var waits []chan struct{}
	var data []byte
	var mine []*Item
	now := time.Now().UTC()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if s.broken != nil {
		err := s.broken
		s.mu.Unlock()
		return nil, err
	}
	done := make(chan struct{})
	for i := range items {
		it := items[i]
		if it.ID == "" {
			s.mu.Unlock()
			return nil, fmt.Errorf("spool put: item %d has no id", i)
		}
		if _, ok := s.items[it.ID]; ok {
			res[i] = DuplicateID
			continue
		}
		if w, ok := s.inflight[it.ID]; ok {
			res[i] = DuplicateID
			waits = append(waits, w)
			continue
		}
		ks := docKeys(&it)
		if len(ks) > 0 {
			known := 0
			for _, k := range ks {
				if id, ok := s.docs[k]; ok {
					known++
					if w, ok := s.inflight[id]; ok {
						waits = append(waits, w)
					}
				}
			}
			if known == len(ks) {
				res[i] = DuplicateChunk
				continue
			}
		}
		s.seq++
		it.Seq, it.State, it.EnqueuedAt, it.UpdatedAt = s.seq, Pending, now, now
		b, err := encode(&it)
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("spool put %s: %w", it.ID, err)
		}
		data = append(data, b...)
		s.inflight[it.ID] = done
		for _, k := range ks {
			if _, ok := s.docs[k]; !ok {
				s.docs[k] = it.ID
			}
		}
		cp := it
		mine = append(mine, &cp)
	}
	s.mu.Unlock()
	if len(mine) > 0 {
		err := s.submit(data, func() {
			for _, it := range mine {
				delete(s.inflight, it.ID)
				s.applyRecord(it)
			}
		})
		if err != nil {
			s.mu.Lock()
			for _, it := range mine {
				delete(s.inflight, it.ID)
				for _, k := range docKeys(it) {
					if s.docs[k] == it.ID {
						delete(s.docs, k)
					}
				}
			}
			s.mu.Unlock()
			close(done)
			return nil, err
		}
		close(done)
	}
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// A concurrent writer of a duplicate may have failed: check it landed.
	if len(waits) > 0 {
		s.mu.Lock()
		for i, it := range items {
			if res[i] == DuplicateID {
				if _, ok := s.items[it.ID]; !ok {
					s.mu.Unlock()
					return nil, fmt.Errorf("spool put %s: concurrent write failed", it.ID)
				}
			}
		}
		s.mu.Unlock()
	}
	return res, nil
}

// update writes a new state for id.
func (s *Spool) update(id string, fn func(it *Item) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	s.mu.Lock()
	cur, ok := s.items[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	c := *cur
	c.Event = nil // the journal already holds it
	c.DocumentIDs = nil
	if err := fn(&c); err != nil {
		s.mu.Unlock()
		return err
	}
	c.UpdatedAt = time.Now().UTC()
	b, err := encode(&c)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.submit(b, func() { s.applyRecord(&c) })
}

// Next blocks until a pending item is due and hands it out (a lease held
// in memory until Complete, Fail or Release). Items of a recording already
// handed out wait.
func (s *Spool) Next(ctx context.Context) (Item, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Item{}, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Item{}, ErrClosed
		}
		changed := s.changed
		now := time.Now()
		var best *Item
		var soonest time.Time
		for _, it := range s.pending {
			if s.leased[it.ID] || (it.RecordingID != "" && s.leasedRc[it.RecordingID]) {
				continue
			}
			if it.NotBefore.After(now) {
				if soonest.IsZero() || it.NotBefore.Before(soonest) {
					soonest = it.NotBefore
				}
				continue
			}
			if best == nil || it.Seq < best.Seq {
				best = it
			}
		}
		if best != nil {
			s.leased[best.ID] = true
			if best.RecordingID != "" {
				s.leasedRc[best.RecordingID] = true
			}
			out := *best
			s.mu.Unlock()
			return out, nil
		}
		s.mu.Unlock()
		var timer <-chan time.Time
		var t *time.Timer
		if !soonest.IsZero() {
			t = time.NewTimer(time.Until(soonest))
			timer = t.C
		}
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-changed:
		case <-timer:
		case <-s.closing:
			err = ErrClosed
		}
		if t != nil {
			t.Stop()
		}
		if err != nil {
			return Item{}, err
		}
	}
}

func (s *Spool) release(it *Item) {
	delete(s.leased, it.ID)
	if it.RecordingID != "" {
		delete(s.leasedRc, it.RecordingID)
	}
}

// Release returns a leased item to the queue unchanged.
func (s *Spool) Release(id string) {
	s.mu.Lock()
	if it, ok := s.items[id]; ok {
		s.release(it)
	}
	s.mu.Unlock()
	s.wake()
}

// Complete marks a leased item done.
func (s *Spool) Complete(id string) error {
	err := s.update(id, func(it *Item) error {
		it.State, it.LastError, it.NotBefore = Done, "", time.Time{}
		return nil
	})
	s.Release(id)
	return err
}

// Fail records a failed attempt. With retryAt non-zero the item stays
// pending until then; otherwise it becomes Failed (an operator's to retry
// or drop).
func (s *Spool) Fail(id string, cause error, retryAt time.Time) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
	}
	err := s.update(id, func(it *Item) error {
		it.Attempts++
		it.LastError = msg
		if retryAt.IsZero() {
			it.State, it.NotBefore = Failed, time.Time{}
		} else {
			it.State, it.NotBefore = Pending, retryAt.UTC()
		}
		return nil
	})
	s.Release(id)
	return err
}

// Retry makes a failed, dropped or waiting item pending and due now.
func (s *Spool) Retry(id string) error {
	return s.update(id, func(it *Item) error {
		if it.State == Done {
			return fmt.Errorf("spool retry %s: item is done", id)
		}
		it.State, it.NotBefore, it.Attempts = Pending, time.Time{}, 0
		return nil
	})
}

// Drop gives up on an item; it stays known for deduplication.
func (s *Spool) Drop(id string) error {
	return s.update(id, func(it *Item) error {
		it.State, it.NotBefore = Dropped, time.Time{}
		return nil
	})
}

// Get returns a copy of the item with id.
func (s *Spool) Get(id string) (Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[id]
	if !ok {
		return Item{}, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	return *it, nil
}

// List returns the items in the given states (all when none), in
// sequence order, without their event payload.
func (s *Spool) List(states ...State) []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Item
	for _, it := range s.items {
		if len(states) > 0 {
			ok := false
			for _, st := range states {
				ok = ok || it.State == st
			}
			if !ok {
				continue
			}
		}
		c := *it
		c.Event = nil
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Stats summarises the queue.
type Stats struct {
	Pending, Failed, Done, Dropped int
	OldestPending                  time.Time // zero when nothing is pending
}

// Stats returns counts by state and the enqueue time of the oldest pending item.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st Stats
	for _, it := range s.items {
		switch it.State {
		case Pending:
			st.Pending++
			if st.OldestPending.IsZero() || it.EnqueuedAt.Before(st.OldestPending) {
				st.OldestPending = it.EnqueuedAt
			}
		case Failed:
			st.Failed++
		case Done:
			st.Done++
		case Dropped:
			st.Dropped++
		}
	}
	return st
}

// Healthy returns the error that makes the spool refuse writes, if any.
func (s *Spool) Healthy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.broken
}

// Close flushes queued writes, stops the writer and releases the lock.
func (s *Spool) Close() error {
	s.sendMu.Lock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.sendMu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.sendMu.Unlock()
	if s.readOnly {
		return nil
	}
	close(s.closing)
	s.wg.Wait()
	err := s.f.Close()
	s.unlock()
	return err
}
