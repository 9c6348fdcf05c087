package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"

	"path/filepath"
	"strings"
	"time"

	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/blob"
	"github.com/callscope/callscope/recording/eventgrid"
)

// BackfillEvents lists a bring-your-own-storage container and returns one
// synthetic RecordingFileStatusUpdated event (Event Grid schema) for every
// recording that is not yet complete under dataDir, with contentLocation
// and metadataLocation pointing at the blobs. Processing them through the
// spool is the same path as a live event. A recording folder is named by
// its "{first8}-{guid}" blob folder (the recording id is not in the
// layout). Folders missing a chunk's audio or metadata are skipped.
func BackfillEvents(ctx context.Context, c *blob.Container, since time.Time, dataDir string, log *slog.Logger) ([]eventgrid.Event, int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	recs, err := c.List(ctx, since)
	if err != nil {
		return nil, 0, err
	}
	base, err := url.Parse(c.Client().URL())
	if err != nil {
		return nil, 0, fmt.Errorf("container URL: %w", err)
	}
	base.RawQuery = ""
	skipped := 0
	var evs []eventgrid.Event
	for _, r := range recs {
		dir := filepath.Join(dataDir, RecordingsDir, recording.SafeID(r.ID()))
		if m, err := loadManifest(dir); err == nil && m.Complete {
			skipped++
			continue
		}
		ok := true
		chunks := make([]recording.ChunkInfo, 0, len(r.Chunks))
		h := sha256.New()
		h.Write([]byte(r.Prefix))
		for i, ch := range r.Chunks {
			if ch.AudioBlob == "" || ch.MetadataBlob == "" {
				log.Warn("backfill: chunk without audio or metadata; skipping recording", "folder", r.Prefix, "document", ch.DocumentID)
				ok = false
				break
			}
			idx := ch.Index
			if idx < 0 {
				idx = int64(i)
			}
			end := "ChunkMaximumSizeExceeded"
			if i == len(r.Chunks)-1 {
				// BYOS export happens after the recording ended.
				end = recording.EndReasonSessionEnded
			}
			chunks = append(chunks, recording.ChunkInfo{
				DocumentID: ch.DocumentID, Index: idx, EndReason: end,
				ContentLocation:  blobURL(base, ch.AudioBlob),
				MetadataLocation: blobURL(base, ch.MetadataBlob),
			})
			h.Write([]byte{0})
			h.Write([]byte(ch.DocumentID))
		}
		if !ok || len(chunks) == 0 {
			skipped++
			continue
		}
		var d recording.FileStatusUpdated
		d.RecordingStorageInfo.RecordingChunks = chunks
		d.RecordingID = r.ID()
		d.StorageType = "AzureBlob"
		d.SessionEndReason = "Unknown"
		if !r.Date.IsZero() {
			d.RecordingStartTime = r.Date
		}
		data, err := json.Marshal(d)
		if err != nil {
			return nil, 0, err
		}
		id := "backfill-" + hex.EncodeToString(h.Sum(nil))[:32]
		env := map[string]any{
			"id":              id,
			"topic":           "callscope/backfill/" + base.Host + base.Path,
			"subject":         "/recording/call/" + r.CallID + "/recordingId/" + r.ID(),
			"eventType":       recording.EventRecordingFileStatusUpdated,
			"eventTime":       time.Now().UTC().Format(time.RFC3339Nano),
			"dataVersion":     "1.0",
			"metadataVersion": "1",
			"data":            json.RawMessage(data),
		}
		raw, err := json.Marshal(env)
		if err != nil {
			return nil, 0, err
		}
		got, err := eventgrid.Decode(raw)
		if err != nil {
			return nil, 0, fmt.Errorf("backfill event for %s: %w", r.Prefix, err)
		}
		evs = append(evs, got...)
	}
	return evs, skipped, nil
}

func blobURL(base *url.URL, name string) string {
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + name
	u.RawPath = ""
	return u.String()
}

// Drain waits until the spool has no pending item (or ctx ends) and
// returns its final stats.
func Drain(ctx context.Context, s *Server, poll time.Duration) error {
	for {
		st := s.Spool.Stats()
		if st.Pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d spool items still pending: %w", st.Pending, ctx.Err())
		case <-time.After(poll):
		}
	}
}
