package acstest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/callscope/callscope/recording/acs"
)

type object struct {
	documentID string
	audio      []byte
	metadata   []byte
	deleted    bool
	modTime    time.Time
}

// metadataDoc is the recording metadata document.
type metadataDoc struct {
	ResourceID           string           `json:"resourceId"`
	CallID               string           `json:"callId"`
	ChunkDocumentID      string           `json:"chunkDocumentId"`
	ChunkIndex           int              `json:"chunkIndex"`
	ChunkStartTime       string           `json:"chunkStartTime"`
	ChunkDuration        float64          `json:"chunkDuration"`
	PauseResumeIntervals []pauseDoc       `json:"pauseResumeIntervals"`
	RecordingInfo        recordingInfo    `json:"recordingInfo"`
	Participants         []participantDoc `json:"participants"`
}

type pauseDoc struct {
	StartTime string  `json:"startTime"`
	Duration  float64 `json:"duration"`
}

type recordingInfo struct {
	ContentType        string         `json:"contentType"`
	ChannelType        string         `json:"channelType"`
	Format             string         `json:"format"`
	AudioConfiguration map[string]int `json:"audioConfiguration"`
}

type participantDoc struct {
	ParticipantID string `json:"participantId"`
	Channel       *int   `json:"channel,omitempty"`
}

const isoMicro = "2006-01-02T15:04:05.0000000Z"

// channelMap assigns channels for an unmixed recording: explicit
// channelAffinity first, then audioChannelParticipantOrdering, then the
// remaining participants in order of their first audio inside the recorded
// spans; at most five channels. It returns rawId → channel and the number
// of channels.
func (s *Server) channelMap(rec *recordingState) (map[string]int, int) {
	m := map[string]int{}
	used := map[int]bool{}
	known := map[string]bool{}
	for _, p := range rec.call.Participants {
		known[p.RawID] = true
	}
	for _, a := range rec.req.ChannelAffinity {
		if a.Channel != nil && known[a.Participant.RawID] && !used[*a.Channel] {
			m[a.Participant.RawID] = *a.Channel
			used[*a.Channel] = true
		}
	}
	next := func() int {
		for c := 0; c < 5; c++ {
			if !used[c] {
				return c
			}
		}
		return -1
	}
	assign := func(raw string) {
		if _, ok := m[raw]; ok || !known[raw] {
			return
		}
		if c := next(); c >= 0 {
			m[raw] = c
			used[c] = true
		}
	}
	for _, id := range rec.req.AudioChannelParticipantOrdering {
		assign(id.RawID)
	}
	for _, a := range rec.req.ChannelAffinity {
		if a.Channel == nil {
			assign(a.Participant.RawID)
		}
	}
	type first struct {
		raw string
		at  int
	}
	var order []first
	for _, p := range rec.call.Participants {
		at := math.MaxInt
		for _, sp := range rec.spans {
			i0, i1 := s.sampleIndex(rec.call, sp.start), s.sampleIndex(rec.call, sp.end)
			for i := max(i0, 0); i < i1 && i < len(p.Audio); i++ {
				if math.Abs(float64(p.Audio[i])) > 1e-4 {
					at = i
					break
				}
			}
			if at != math.MaxInt {
				break
			}
		}
		order = append(order, first{p.RawID, at})
	}
	for i := 1; i < len(order); i++ { // stable insertion sort by first audio
		for j := i; j > 0 && order[j].at < order[j-1].at; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, f := range order {
		assign(f.raw)
	}
	n := 0
	for _, c := range m {
		n = max(n, c+1)
	}
	return m, n
}

func (s *Server) sampleIndex(c *Call, t time.Time) int {
	return int(math.Round(t.Sub(c.Start).Seconds() * float64(s.opts.SampleRate)))
}

// produce renders a stopped recording, stores it and delivers the event.
func (s *Server) produce(rec *recordingState) {
	if len(rec.spans) == 0 {
		s.log.Info("acstest: recording never active, no file produced", "recording", rec.id)
		return
	}
	sr := s.opts.SampleRate
	unmixed := rec.req.RecordingChannelType == acs.ChannelUnmixed
	chMap, nch := map[string]int{}, 1
	if unmixed {
		chMap, nch = s.channelMap(rec)
		if nch == 0 {
			nch = 1
		}
	}
	// Concatenate the active spans.
	type piece struct {
		wallStart time.Time
		wallEnd   time.Time
		i0, i1    int // sample indices relative to call start
		offset    int // offset in recorded audio
	}
	var pieces []piece
	total := 0
	for _, sp := range rec.spans {
		i0, i1 := s.sampleIndex(rec.call, sp.start), s.sampleIndex(rec.call, sp.end)
		if i1 <= i0 {
			continue
		}
		pieces = append(pieces, piece{sp.start, sp.end, i0, i1, total})
		total += i1 - i0
	}
	if total == 0 {
		s.log.Info("acstest: recording has no audio, no file produced", "recording", rec.id)
		return
	}
	samples := make([]int16, total*nch)
	for _, pc := range pieces {
		for _, p := range rec.call.Participants {
			ch, ok := chMap[p.RawID]
			if !unmixed {
				ch, ok = 0, true
			}
			if !ok {
				continue
			}
			for i := pc.i0; i < pc.i1; i++ {
				if i < 0 || i >= len(p.Audio) {
					continue
				}
				k := (pc.offset+i-pc.i0)*nch + ch
				if unmixed {
					samples[k] = toPCM16(p.Audio[i])
				} else {
					samples[k] = toPCM16(float32(float64(samples[k])/32767) + p.Audio[i])
				}
			}
		}
	}
	chunkLen := total
	if s.opts.ChunkDuration > 0 {
		chunkLen = max(1, int(s.opts.ChunkDuration.Seconds()*float64(sr)))
	}
	// wallAt maps an offset in recorded audio to wall-clock time.
	wallAt := func(off int) time.Time {
		for i := len(pieces) - 1; i >= 0; i-- {
			if off >= pieces[i].offset {
				return pieces[i].wallStart.Add(time.Duration(float64(off-pieces[i].offset) / float64(sr) * float64(time.Second)))
			}
		}
		return pieces[0].wallStart
	}
	var participants []participantDoc
	for _, p := range rec.call.Participants {
		if unmixed {
			if c, ok := chMap[p.RawID]; ok {
				c := c
				participants = append(participants, participantDoc{p.RawID, &c})
			}
		} else {
			participants = append(participants, participantDoc{ParticipantID: p.RawID})
		}
	}
	contentType, channelType := acs.ContentAudio, orDefault(rec.req.RecordingChannelType, acs.ChannelMixed)
	if s.opts.SwapRecordingInfo {
		contentType, channelType = channelType, contentType
	}
	var chunks []chunkInfo
	for idx, off := 0, 0; off < total; idx, off = idx+1, off+chunkLen {
		end := min(off+chunkLen, total)
		var pauses []pauseDoc
		for i := 1; i < len(pieces); i++ {
			// The gap before piece i lies inside this chunk's audio.
			if pieces[i].offset > off && pieces[i].offset < end {
				prevEnd := pieces[i-1].wallEnd
				pauses = append(pauses, pauseDoc{prevEnd.UTC().Format(isoMicro), float64(pieces[i].wallStart.Sub(prevEnd).Milliseconds())})
			}
		}
		if pauses == nil {
			pauses = []pauseDoc{}
		}
		docID := fmtGUIDish(fmt.Sprintf("%d-eus-d%d", idx, 10+idx))
		md := metadataDoc{
			ResourceID: s.opts.ResourceID, CallID: rec.call.CorrelationID, ChunkDocumentID: docID, ChunkIndex: idx,
			ChunkStartTime: wallAt(off).UTC().Format(isoMicro), ChunkDuration: float64(end-off) * 1000 / float64(sr),
			PauseResumeIntervals: pauses,
			RecordingInfo: recordingInfo{ContentType: contentType, ChannelType: channelType, Format: acs.FormatWav,
				AudioConfiguration: map[string]int{"sampleRate": sr, "bitRate": sr * 16, "channels": nch}},
			Participants: participants,
		}
		mdJSON, _ := json.MarshalIndent(md, "", "  ")
		endReason := "SessionEnded"
		if end < total {
			endReason = "ChunkMaximumTimeExceeded"
		}
		chunks = append(chunks, chunkInfo{
			DocumentID: docID, Index: idx, EndReason: endReason,
			audio: encodeWAV(sr, nch, samples[off*nch:end*nch]), metadata: mdJSON,
		})
	}
	es := rec.req.ExternalStorage
	if es != nil && es.RecordingStorageKind == acs.StorageBlob {
		if err := s.writeBYOS(rec, es.RecordingDestinationContainerURL, chunks); err != nil {
			s.log.Error("acstest: write BYOS recording", "recording", rec.id, "error", err)
			return
		}
	} else {
		now := s.opts.Clock()
		s.mu.Lock()
		for i := range chunks {
			c := &chunks[i]
			s.objects[c.DocumentID] = &object{documentID: c.DocumentID, audio: c.audio, metadata: c.metadata, modTime: now}
			base := s.storage.URL + "/v1/objects/" + c.DocumentID
			c.ContentLocation = base + "/content/video"
			c.MetadataLocation = base + "/content/acsmetadata"
			c.DeleteLocation = base + "/content/deletedata"
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	for _, c := range chunks {
		rec.docs = append(rec.docs, c.DocumentID)
	}
	s.mu.Unlock()
	s.deliverFileStatus(rec, chunks, pieces[0].wallStart, time.Duration(float64(total)/float64(sr)*float64(time.Second)))
}

type chunkInfo struct {
	DocumentID       string `json:"documentId"`
	Index            int    `json:"index"`
	EndReason        string `json:"endReason"`
	ContentLocation  string `json:"contentLocation"`
	MetadataLocation string `json:"metadataLocation"`
	DeleteLocation   string `json:"deleteLocation"`
	audio, metadata  []byte
}

func (s *Server) deliverFileStatus(rec *recordingState, chunks []chunkInfo, start time.Time, dur time.Duration) {
	if s.opts.EventGridWebhook == "" {
		return
	}
	groups := [][]chunkInfo{chunks}
	if s.opts.SeparateChunkEvents {
		groups = nil
		for _, c := range chunks {
			groups = append(groups, []chunkInfo{c})
		}
	}
	for _, g := range groups {
		data := map[string]any{
			"recordingStorageInfo": map[string]any{"recordingChunks": g},
			"recordingStartTime":   start.UTC().Format(isoMicro),
			"recordingDurationMs":  dur.Milliseconds(),
			"sessionEndReason":     "CallEnded",
			"recordingContentType": "Audio",
			"recordingChannelType": pascal(orDefault(rec.req.RecordingChannelType, acs.ChannelMixed)),
			"recordingFormatType":  "Wav",
		}
		if es := rec.req.ExternalStorage; es != nil && es.RecordingStorageKind == acs.StorageBlob {
			data["storageType"] = "AzureBlob"
			data["recordingId"] = rec.id
		}
		ev := map[string]any{
			"id":              acs.NewUUID(),
			"topic":           simTopic,
			"subject":         "/recording/call/" + rec.call.CorrelationID + "/serverCallId/" + rec.call.ServerCallID + "/recordingId/" + rec.id,
			"data":            data,
			"eventType":       "Microsoft.Communication.RecordingFileStatusUpdated",
			"dataVersion":     "1.0",
			"metadataVersion": "1",
			"eventTime":       s.opts.Clock().UTC().Format(isoMicro),
		}
		if s.opts.CloudEvents {
			ev = map[string]any{
				"id": ev["id"], "source": simTopic, "subject": ev["subject"], "data": data,
				"type": ev["eventType"], "time": ev["eventTime"], "specversion": "1.0",
			}
		}
		body, _ := json.Marshal([]any{ev})
		s.enqueue(delivery{kind: "eventgrid", url: s.opts.EventGridWebhook, typ: "Microsoft.Communication.RecordingFileStatusUpdated", body: body})
	}
}

const simTopic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/callscope-sim/providers/microsoft.communication/communicationservices/sim"

func pascal(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeBYOS uploads the chunks in the documented layout
// {YYYYMMDD}/{callId}/{first 8 of recordingId}-{guid}/{chunk}-acsmetadata.{documentId}.json
// and {chunk}-audiowav.{documentId}.wav, and points the chunk locations at
// the blobs.
func (s *Server) writeBYOS(rec *recordingState, containerURL string, chunks []chunkInfo) error {
	name, key, err := accountFromConnectionString(s.opts.BlobConnectionString)
	if err != nil {
		return err
	}
	cred, err := azblob.NewSharedKeyCredential(name, key)
	if err != nil {
		return fmt.Errorf("blob credential: %w", err)
	}
	u, err := url.Parse(containerURL)
	if err != nil {
		return err
	}
	// Split the container from a "location within a container".
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	nContainer := 1
	if ip := net.ParseIP(u.Hostname()); ip != nil || u.Hostname() == "localhost" {
		nContainer = 2 // path-style: /account/container
	}
	if len(segs) < nContainer {
		return fmt.Errorf("container URL %q has no container", containerURL)
	}
	prefix := strings.Join(segs[nContainer:], "/")
	cu := *u
	cu.Path = "/" + strings.Join(segs[:nContainer], "/")
	cc, err := container.NewClientWithSharedKeyCredential(cu.String(), cred, nil)
	if err != nil {
		return fmt.Errorf("container client: %w", err)
	}
	ctx, cancel := context.WithTimeout(s.ctx, 60*time.Second)
	defer cancel()
	folder := fmt.Sprintf("%s/%s/%s-%s", rec.startedAt.UTC().Format("20060102"), rec.call.CorrelationID, rec.id[:8], acs.NewUUID())
	if prefix != "" {
		folder = prefix + "/" + folder
	}
	for i := range chunks {
		c := &chunks[i]
		mdName := fmt.Sprintf("%s/%d-acsmetadata.%s.json", folder, c.Index, c.DocumentID)
		audioName := fmt.Sprintf("%s/%d-audiowav.%s.wav", folder, c.Index, c.DocumentID)
		for _, b := range []struct {
			name string
			data []byte
		}{{audioName, c.audio}, {mdName, c.metadata}} {
			bb := cc.NewBlockBlobClient(b.name)
			if _, err := bb.UploadBuffer(ctx, b.data, nil); err != nil {
				return fmt.Errorf("upload %s: %w", b.name, err)
			}
		}
		c.ContentLocation = blobURL(cu.String(), audioName)
		c.MetadataLocation = blobURL(cu.String(), mdName)
		c.DeleteLocation = c.ContentLocation
	}
	return nil
}

// blobURL joins a container URL and a blob name, escaping each path
// segment but keeping the '/' separators (as the portal and events show).
func blobURL(container, name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.TrimSuffix(container, "/") + "/" + strings.Join(segs, "/")
}

func accountFromConnectionString(cs string) (name, key string, err error) {
	for _, part := range strings.Split(cs, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "accountname":
			name = strings.TrimSpace(v)
		case "accountkey":
			key = strings.TrimSpace(v)
		}
	}
	if name == "" || key == "" {
		return "", "", fmt.Errorf("blob connection string lacks AccountName or AccountKey")
	}
	return name, key, nil
}
