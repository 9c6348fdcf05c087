package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/blob"
	"github.com/callscope/callscope/recording/eventgrid"
)

// RecordingsDir is the folder under the data directory holding recording folders.
const RecordingsDir = "recordings"

// PermanentError marks a failure that retrying cannot fix (bad event,
// foreign host, 403). Workers mark such items failed at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err cannot be fixed by retrying.
func IsPermanent(err error) bool {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return true
	}
	var ce *acs.ContentError
	if errors.As(err, &ce) {
		return !ce.Retryable
	}
	return errors.Is(err, os.ErrNotExist)
}

// Processor turns recording events into recording folders.
type Processor struct {
	// DataDir holds recordings/<SafeID>/.
	DataDir string
	// ACS downloads from ACS-managed storage (nil: such chunks fail).
	ACS *acs.ContentDownloader
	// Blob downloads chunks whose location is in this BYOS container.
	Blob *blob.Container
	// DeleteAfterDownload deletes ACS content once verified on disk.
	DeleteAfterDownload bool
	// OnComplete, if set, runs once a recording folder is complete (for
	// in-process analysis). Its error is logged, not retried.
	OnComplete func(ctx context.Context, dir string) error
	// OnEvent, if set, receives every other event (CallStarted, CallEnded,
	// …) for the recording-control rules; an error retries the item.
	OnEvent func(ctx context.Context, ev eventgrid.Event) error
	Logger  *slog.Logger
	Metrics *Metrics
}

// Result says what Process did.
type Result struct {
	RecordingID string
	Dir         string
	NewChunks   int
	Bytes       int64
	Complete    bool
	Ignored     bool // not a recording event
}

// RecordingDir returns the folder of a recording id.
func (p *Processor) RecordingDir(recordingID string) string {
	return filepath.Join(p.DataDir, RecordingsDir, recording.SafeID(recordingID))
}

// RecordingIDOf returns the recording id of a RecordingFileStatusUpdated
// event (data.recordingId, else the subject's) and its decoded data.
func RecordingIDOf(ev eventgrid.Event) (string, *recording.FileStatusUpdated, error) {
	var d recording.FileStatusUpdated
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return "", nil, fmt.Errorf("decode %s data: %w", ev.Type, err)
	}
	id := d.RecordingID
	if id == "" {
		id = recording.ParseSubject(ev.Subject).RecordingID
	}
	if id == "" {
		return "", &d, errors.New("event names no recording id (data.recordingId or subject)")
	}
	return id, &d, nil
}

func (p *Processor) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// lockDir takes an exclusive flock on dir/.lock, waiting until ctx ends.
// It serialises work on one recording across processes sharing DataDir.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock recording folder: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock recording folder: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Process handles one event (raw JSON of one Event Grid or CloudEvents
// event). Other event types are ignored. Chunks already in the folder's
// manifest (same document id, verified) are not downloaded again.
func (p *Processor) Process(ctx context.Context, raw []byte) (Result, error) {
	evs, err := eventgrid.Decode(raw)
	if err != nil {
		return Result{}, permanent(err)
	}
	if len(evs) != 1 {
		return Result{}, permanent(fmt.Errorf("spool item holds %d events, want 1", len(evs)))
	}
	ev := evs[0]
	if !ev.IsType(recording.EventRecordingFileStatusUpdated) {
		if p.OnEvent != nil {
			if err := p.OnEvent(ctx, ev); err != nil {
				return Result{Ignored: true}, fmt.Errorf("recording control: %w", err)
			}
		}
		return Result{Ignored: true}, nil
	}
	recID, data, err := RecordingIDOf(ev)
	if err != nil {
		return Result{}, permanent(err)
	}
	res := Result{RecordingID: recID, Dir: p.RecordingDir(recID)}
	log := p.log().With("recording", recording.SafeID(recID), "event", ev.ID)
	if err := os.MkdirAll(filepath.Join(res.Dir, recording.EventsDir), 0o750); err != nil {
		return res, fmt.Errorf("create recording folder: %w", err)
	}
	unlock, err := lockDir(ctx, res.Dir)
	if err != nil {
		return res, err
	}
	defer unlock()

	m, err := loadManifest(res.Dir)
	if err != nil {
		return res, err
	}
	wasComplete := m.Complete
	m.RecordingID = recID
	subj := recording.ParseSubject(ev.Subject)
	if m.CallID == "" {
		m.CallID = subj.CallID
	}
	if m.ServerCallID == "" {
		m.ServerCallID = subj.ServerCallID
	}
	if m.RecordingStartTime.IsZero() {
		m.RecordingStartTime = data.RecordingStartTime
	}
	// Keep the event as received.
	evName := recording.SafeID(ev.ID) + ".json"
	evPath := filepath.Join(res.Dir, recording.EventsDir, evName)
	if _, err := os.Stat(evPath); errors.Is(err, fs.ErrNotExist) {
		if err := recording.WriteFileAtomic(evPath, ev.Raw, 0o640); err != nil {
			return res, err
		}
	}
	if !contains(m.Events, evName) {
		m.Events = append(m.Events, evName)
	}
	// The manifest exists before any chunk file does, so a reader never
	// infers completeness from a half-written folder.
	m.UpdatedAt = time.Now().UTC()
	if err := recording.WriteManifest(res.Dir, &m.Manifest); err != nil {
		return res, err
	}
	wasComplete = wasComplete && m.Complete

	chunks := append([]recording.ChunkInfo(nil), data.RecordingStorageInfo.RecordingChunks...)
	sort.Slice(chunks, func(i, j int) bool { return chunks[i].Index < chunks[j].Index })
	var errs []error
	for _, ci := range chunks {
		if ci.Index < 0 || ci.Index > 99999 {
			errs = append(errs, permanent(fmt.Errorf("chunk index %d out of range", ci.Index)))
			continue
		}
		if have := findChunk(m.Chunks, ci.Index); have != nil {
			if have.DocumentID != ci.DocumentID && have.DocumentID != "" {
				log.Warn("chunk index already filled by another document; keeping the first", "index", ci.Index,
					"have", have.DocumentID, "got", ci.DocumentID)
				continue
			}
			if have.AudioSHA256 != "" && fileHasSize(filepath.Join(res.Dir, have.Audio), have.AudioSize) {
				continue // downloaded already
			}
		}
		mc, n, err := p.fetchChunk(ctx, res.Dir, ci, log)
		if err != nil {
			errs = append(errs, fmt.Errorf("chunk %d (%s): %w", ci.Index, ci.DocumentID, err))
			continue
		}
		res.NewChunks++
		res.Bytes += n
		m.Chunks = replaceChunk(m.Chunks, mc)
		m.Source = mc.source
		m.UpdatedAt = time.Now().UTC()
		if err := recording.WriteManifest(res.Dir, &m.Manifest); err != nil {
			return res, err
		}
		if p.DeleteAfterDownload && ci.DeleteLocation != "" && p.ACS != nil && mc.source == "acs" {
			if err := p.ACS.Delete(ctx, ci.DeleteLocation); err != nil {
				log.Warn("delete after download failed (content expires on its own)", "index", ci.Index, "err", err)
			}
		}
	}
	m.UpdatedAt = time.Now().UTC()
	if err := recording.WriteManifest(res.Dir, &m.Manifest); err != nil {
		return res, err
	}
	res.Complete = m.Complete
	if len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	if res.Complete && !wasComplete {
		log.Info("recording complete", "chunks", len(m.Chunks))
		if p.OnComplete != nil {
			if err := p.OnComplete(ctx, res.Dir); err != nil {
				log.Error("in-process analysis failed", "err", err)
			}
		}
	}
	return res, nil
}

type manifestState struct{ recording.Manifest }

type chunkResult struct {
	recording.ManifestChunk
	source string
}

func loadManifest(dir string) (*manifestState, error) {
	b, err := os.ReadFile(filepath.Join(dir, recording.ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &manifestState{recording.Manifest{Version: recording.ManifestVersion}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m recording.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %w", filepath.Join(dir, recording.ManifestFile), err)
	}
	return &manifestState{m}, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func findChunk(cs []recording.ManifestChunk, idx int64) *recording.ManifestChunk {
	for i := range cs {
		if cs[i].Index == idx {
			return &cs[i]
		}
	}
	return nil
}

func replaceChunk(cs []recording.ManifestChunk, c chunkResult) []recording.ManifestChunk {
	for i := range cs {
		if cs[i].Index == c.Index {
			cs[i] = c.ManifestChunk
			return cs
		}
	}
	return append(cs, c.ManifestChunk)
}

func fileHasSize(path string, size int64) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() == size && size > 0
}

// fetchChunk downloads one chunk's metadata and audio into dir under
// their final names (via .part files) and returns its manifest entry.
func (p *Processor) fetchChunk(ctx context.Context, dir string, ci recording.ChunkInfo, log *slog.Logger) (chunkResult, int64, error) {
	mc := chunkResult{ManifestChunk: recording.ManifestChunk{
		Index: ci.Index, DocumentID: ci.DocumentID, EndReason: ci.EndReason,
		Audio: recording.ChunkAudioName(ci.Index), Metadata: recording.ChunkMetadataName(ci.Index),
	}}
	var total int64
	if ci.MetadataLocation != "" {
		n, sum, src, err := p.fetchFile(ctx, ci.MetadataLocation, filepath.Join(dir, mc.Metadata), "metadata", func(path string) error {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if _, err := recording.ParseMetadata(b); err != nil {
				return fmt.Errorf("metadata document: %w", err)
			}
			return nil
		})
		if err != nil {
			return mc, total, err
		}
		mc.MetadataSize, mc.MetadataSHA256, mc.source = n, sum, src
		total += n
	} else {
		mc.Metadata = ""
	}
	if ci.ContentLocation == "" {
		return mc, total, permanent(errors.New("chunk has no contentLocation"))
	}
	n, sum, src, err := p.fetchFile(ctx, ci.ContentLocation, filepath.Join(dir, mc.Audio), "audio", nil)
	if err != nil {
		return mc, total, err
	}
	mc.AudioSize, mc.AudioSHA256, mc.source = n, sum, src
	total += n
	log.Info("chunk downloaded", "index", ci.Index, "audioBytes", n, "source", src)
	return mc, total, nil
}

// fetchFile downloads loc to final (through final+".part", resumed if
// present), checks it, hashes it and renames it into place.
func (p *Processor) fetchFile(ctx context.Context, loc, final, kind string, check func(path string) error) (int64, string, string, error) {
	part := final + ".part"
	start := time.Now()
	var n int64
	var err error
	src := "acs"
	if p.Blob != nil {
		if name, ok := p.Blob.IsBlobURL(loc); ok {
			src = "blob"
			n, err = p.Blob.Download(ctx, name, part)
		}
	}
	if src == "acs" {
		if p.ACS == nil {
			return 0, "", src, permanent(fmt.Errorf("%s location is ACS-managed storage but no ACS connection string is configured", kind))
		}
		n, err = p.ACS.DownloadFile(ctx, loc, part)
	}
	if p.Metrics != nil {
		p.Metrics.DownloadDuration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	}
	if err != nil {
		p.countFailure(err)
		var ce *acs.ContentError
		if errors.As(err, &ce) && !ce.Retryable {
			// A partial file of a permanently failed download is useless.
			os.Remove(part)
		}
		return n, "", src, err
	}
	if check != nil {
		if err := check(part); err != nil {
			os.Remove(part)
			p.countFailureReason("invalid_" + kind)
			return n, "", src, err
		}
	}
	sum, err := hashFile(part)
	if err != nil {
		return n, "", src, err
	}
	if err := os.Rename(part, final); err != nil {
		return n, "", src, fmt.Errorf("install %s: %w", final, err)
	}
	if err := recording.SyncDir(filepath.Dir(final)); err != nil {
		return n, "", src, err
	}
	if p.Metrics != nil {
		p.Metrics.Downloads.WithLabelValues(kind, src).Inc()
		p.Metrics.DownloadBytes.WithLabelValues(src).Add(float64(n))
	}
	return n, sum, src, nil
}

func (p *Processor) countFailure(err error) {
	reason := "other"
	var ce *acs.ContentError
	switch {
	case errors.As(err, &ce):
		reason = ce.Reason
	case errors.Is(err, os.ErrNotExist):
		reason = "not_found"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		reason = "canceled"
	}
	p.countFailureReason(reason)
}

func (p *Processor) countFailureReason(r string) {
	if p.Metrics != nil {
		p.Metrics.DownloadFailures.WithLabelValues(r).Inc()
	}
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
