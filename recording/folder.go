package recording

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A recording folder is what ingest writes and analyze reads:
//
//	DIR/recordings/<SafeID(recordingId)>/
//	    manifest.json                 ManifestFile: chunks, sizes, SHA-256, completeness
//	    events/<safe event id>.json   every event that announced a chunk, as received
//	    chunk-0000.wav                audio of chunk index 0
//	    chunk-0000.acsmetadata.json   metadata document of chunk index 0
//	    chunk-0001.wav …
const (
	RecordingsDir = "recordings" // under the data root
	ManifestFile  = "manifest.json"
	EventsDir     = "events"
)

// ChunkAudioName and ChunkMetadataName return the file names of chunk i.
func ChunkAudioName(index int64) string    { return fmt.Sprintf("chunk-%04d.wav", index) }
func ChunkMetadataName(index int64) string { return fmt.Sprintf("chunk-%04d.acsmetadata.json", index) }

// ManifestVersion is the current manifest format.
const ManifestVersion = 1

// Manifest describes a recording folder.
type Manifest struct {
	Version            int             `json:"version"`
	RecordingID        string          `json:"recordingId"`
	CallID             string          `json:"callId,omitempty"`
	ServerCallID       string          `json:"serverCallId,omitempty"`
	CorrelationID      string          `json:"correlationId,omitempty"`
	Source             string          `json:"source,omitempty"` // "acs", "blob", "file"
	RecordingStartTime time.Time       `json:"recordingStartTime,omitzero"`
	Chunks             []ManifestChunk `json:"chunks"`
	// Complete is true when chunk indices are contiguous from 0 and the
	// last one ended with SessionEnded.
	Complete  bool      `json:"complete"`
	Events    []string  `json:"events,omitempty"` // file names under events/
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// ManifestChunk is one chunk of a manifest.
type ManifestChunk struct {
	Index          int64  `json:"index"`
	DocumentID     string `json:"documentId"`
	EndReason      string `json:"endReason,omitempty"`
	Audio          string `json:"audio"`
	AudioSize      int64  `json:"audioSize"`
	AudioSHA256    string `json:"audioSha256,omitempty"`
	Metadata       string `json:"metadata"`
	MetadataSize   int64  `json:"metadataSize"`
	MetadataSHA256 string `json:"metadataSha256,omitempty"`
}

// IsComplete reports whether chunks (in any order) form a complete
// recording: indices 0..n-1 with no gap or duplicate, the last ending with
// SessionEnded.
func IsComplete(chunks []ManifestChunk) bool {
	if len(chunks) == 0 {
		return false
	}
	idx := make([]int64, len(chunks))
	last := ""
	var max int64 = -1
	for i, c := range chunks {
		idx[i] = c.Index
		if c.Index > max {
			max, last = c.Index, c.EndReason
		}
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	for i, v := range idx {
		if v != int64(i) {
			return false
		}
	}
	return strings.EqualFold(last, EndReasonSessionEnded)
}

var safeIDRe = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{1,200}$`)

// SafeID turns an untrusted recording (or event) id into a file name: base64
// ids map '+' to '-' and '/' to '_' (distinct ids stay distinct); anything
// else, including ".", "..", separators and over-long ids, becomes "h-"
// followed by the SHA-256 of the id.
func SafeID(id string) string {
	if safeIDRe.MatchString(id) {
		return strings.NewReplacer("+", "-", "/", "_").Replace(id)
	}
	sum := sha256.Sum256([]byte(id))
	return "h-" + hex.EncodeToString(sum[:16])
}

// Folder is a recording folder loaded for analysis.
type Folder struct {
	Dir      string
	Manifest Manifest
	Chunks   []FolderChunk // in index order
	// Event is the RecordingFileStatusUpdated data found in events/, if any.
	Event *FileStatusUpdated
}

// FolderChunk is one chunk's audio file and parsed metadata.
type FolderChunk struct {
	Index     int64
	AudioPath string
	Metadata  *Metadata // nil when the folder has no metadata for the chunk
}

// FolderError reports a recording folder that cannot be analyzed.
type FolderError struct {
	Path string
	Err  error
}

func (e *FolderError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FolderError) Unwrap() error { return e.Err }

// ErrNotFolder is returned by LoadFolder for a directory that holds no
// recording (no manifest and no chunk audio).
var ErrNotFolder = errors.New("not a recording folder: no manifest.json and no chunk-NNNN.wav")

var chunkAudioRe = regexp.MustCompile(`^chunk-(\d{1,6})\.wav$`)

// LoadFolder reads a recording folder. With a manifest it uses the files the
// manifest names; without one it discovers chunk-NNNN.wav files and their
// chunk-NNNN.acsmetadata.json. Metadata and events are parsed; audio is not
// opened.
func LoadFolder(dir string) (*Folder, error) {
	f := &Folder{Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &f.Manifest); err != nil {
			return nil, &FolderError{Path: filepath.Join(dir, ManifestFile), Err: fmt.Errorf("decode manifest: %w", err)}
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := f.discover(); err != nil {
			return nil, err
		}
	default:
		return nil, &FolderError{Path: dir, Err: err}
	}
	if len(f.Manifest.Chunks) == 0 {
		return nil, &FolderError{Path: dir, Err: ErrNotFolder}
	}
	sort.Slice(f.Manifest.Chunks, func(i, j int) bool { return f.Manifest.Chunks[i].Index < f.Manifest.Chunks[j].Index })
	for i, mc := range f.Manifest.Chunks {
		if i > 0 && mc.Index == f.Manifest.Chunks[i-1].Index {
			return nil, &FolderError{Path: dir, Err: fmt.Errorf("chunk index %d listed twice", mc.Index)}
		}
		fc := FolderChunk{Index: mc.Index}
		if mc.Audio == "" || !filepath.IsLocal(mc.Audio) {
			return nil, &FolderError{Path: dir, Err: fmt.Errorf("chunk %d: audio file name %q is not a local path", mc.Index, mc.Audio)}
		}
		fc.AudioPath = filepath.Join(dir, mc.Audio)
		if mc.Metadata != "" {
			if !filepath.IsLocal(mc.Metadata) {
				return nil, &FolderError{Path: dir, Err: fmt.Errorf("chunk %d: metadata file name %q is not a local path", mc.Index, mc.Metadata)}
			}
			p := filepath.Join(dir, mc.Metadata)
			raw, err := readLimited(p, MaxMetadataSize)
			if err != nil {
				return nil, &FolderError{Path: p, Err: err}
			}
			md, err := ParseMetadata(raw)
			if err != nil {
				return nil, &FolderError{Path: p, Err: err}
			}
			fc.Metadata = md
		}
		f.Chunks = append(f.Chunks, fc)
	}
	if err := f.loadEvents(); err != nil {
		return nil, err
	}
	if f.Manifest.RecordingID == "" && f.Event != nil {
		f.Manifest.RecordingID = f.Event.RecordingID
	}
	if f.Manifest.RecordingID == "" {
		f.Manifest.RecordingID = filepath.Base(dir)
	}
	if f.Manifest.CallID == "" && len(f.Chunks) > 0 && f.Chunks[0].Metadata != nil {
		f.Manifest.CallID = f.Chunks[0].Metadata.CallID
	}
	return f, nil
}

func (f *Folder) discover() error {
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return &FolderError{Path: f.Dir, Err: err}
	}
	for _, e := range ents {
		m := chunkAudioRe.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		idx, _ := strconv.ParseInt(m[1], 10, 64)
		mc := ManifestChunk{Index: idx, Audio: e.Name()}
		if _, err := os.Stat(filepath.Join(f.Dir, ChunkMetadataName(idx))); err == nil {
			mc.Metadata = ChunkMetadataName(idx)
		}
		f.Manifest.Chunks = append(f.Manifest.Chunks, mc)
	}
	f.Manifest.Version = ManifestVersion
	return nil
}

// loadEvents reads events/*.json (a single event object or an array, Event
// Grid or CloudEvents schema) and keeps the RecordingFileStatusUpdated data
// and subject identifiers. Chunk end reasons missing from the manifest are
// filled from the event.
func (f *Folder) loadEvents() error {
	dir := filepath.Join(f.Dir, EventsDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &FolderError{Path: dir, Err: err}
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		raw, err := readLimited(p, 1<<20)
		if err != nil {
			return &FolderError{Path: p, Err: err}
		}
		evs, err := decodeEnvelopes(raw)
		if err != nil {
			return &FolderError{Path: p, Err: err}
		}
		for _, ev := range evs {
			if ev.Type != EventRecordingFileStatusUpdated {
				continue
			}
			var d FileStatusUpdated
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return &FolderError{Path: p, Err: fmt.Errorf("decode %s data: %w", ev.Type, err)}
			}
			s := ParseSubject(ev.Subject)
			if d.RecordingID == "" {
				d.RecordingID = s.RecordingID
			}
			if f.Manifest.ServerCallID == "" {
				f.Manifest.ServerCallID = s.ServerCallID
			}
			if f.Manifest.CallID == "" {
				f.Manifest.CallID = s.CallID
			}
			if f.Manifest.RecordingStartTime.IsZero() {
				f.Manifest.RecordingStartTime = d.RecordingStartTime
			}
			for _, ci := range d.RecordingStorageInfo.RecordingChunks {
				for i := range f.Manifest.Chunks {
					mc := &f.Manifest.Chunks[i]
					if mc.Index == ci.Index && mc.EndReason == "" {
						mc.EndReason = ci.EndReason
						if mc.DocumentID == "" {
							mc.DocumentID = ci.DocumentID
						}
					}
				}
			}
			if f.Event == nil {
				dd := d
				f.Event = &dd
			}
		}
	}
	if !f.Manifest.Complete {
		f.Manifest.Complete = IsComplete(f.Manifest.Chunks)
	}
	return nil
}

// envelope is the part of an Event Grid or CloudEvents event LoadFolder needs.
type envelope struct {
	Type    string          `json:"type"`
	Event   string          `json:"eventType"`
	Subject string          `json:"subject"`
	Data    json.RawMessage `json:"data"`
}

func decodeEnvelopes(raw []byte) ([]envelope, error) {
	var evs []envelope
	trim := strings.TrimLeft(string(raw), " \t\r\n\xef\xbb\xbf")
	if strings.HasPrefix(trim, "[") {
		if err := json.Unmarshal([]byte(trim), &evs); err != nil {
			return nil, fmt.Errorf("decode event array: %w", err)
		}
	} else {
		var ev envelope
		if err := json.Unmarshal([]byte(trim), &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		evs = []envelope{ev}
	}
	for i := range evs {
		if evs[i].Type == "" {
			evs[i].Type = evs[i].Event
		}
	}
	return evs, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, limit %d", st.Size(), limit)
	}
	return os.ReadFile(path)
}

// WriteManifest writes m as dir/manifest.json atomically: a temporary file
// is written and fsynced, renamed over the manifest, and the directory is
// fsynced. Chunks are sorted by index; Version defaults to
// ManifestVersion and Complete is recomputed with IsComplete.
func WriteManifest(dir string, m *Manifest) error {
	if m.Version == 0 {
		m.Version = ManifestVersion
	}
	sort.Slice(m.Chunks, func(i, j int) bool { return m.Chunks[i].Index < m.Chunks[j].Index })
	m.Complete = IsComplete(m.Chunks)
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dir, ManifestFile), append(data, '\n'), 0o640)
}

// WriteFileAtomic writes data to path so that a crash leaves either the
// old file or the new one: temporary file in the same directory, fsync,
// rename, fsync of the directory.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}
