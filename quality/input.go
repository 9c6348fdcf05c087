package quality

import (
	"sort"
	"time"

	"github.com/callscope/callscope/recording"
)

// ParticipantsFromMetadata returns the channel ↔ participant mapping of a
// recording from the metadata documents of its chunks (nil entries are
// skipped). A channel keeps the first participant a chunk maps to it; the
// result is ordered by channel.
func ParticipantsFromMetadata(mds ...*recording.Metadata) []Participant {
	byCh := map[int]Participant{}
	for _, md := range mds {
		if md == nil {
			continue
		}
		for _, p := range md.Participants {
			if p.Channel == nil || p.ParticipantID == "" {
				continue
			}
			if _, ok := byCh[*p.Channel]; ok {
				continue
			}
			byCh[*p.Channel] = Participant{Channel: *p.Channel, ID: p.ParticipantID, Kind: string(p.Kind())}
		}
	}
	out := make([]Participant, 0, len(byCh))
	for _, p := range byCh {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

// PausedSeconds sums the pause durations of the metadata documents.
func PausedSeconds(mds ...*recording.Metadata) float64 {
	var d time.Duration
	for _, md := range mds {
		if md == nil {
			continue
		}
		for _, p := range md.PauseResumeIntervals {
			d += p.Duration()
		}
	}
	return d.Seconds()
}

// ChunkState summarizes a manifest's chunks: how many there are, how many
// indices are missing below the highest one, and whether the recording is
// complete (recording.IsComplete).
func ChunkState(chunks []recording.ManifestChunk) (present, missing int, complete bool) {
	seen := map[int64]bool{}
	var hi int64 = -1
	for _, c := range chunks {
		if c.Index < 0 || seen[c.Index] {
			continue
		}
		seen[c.Index] = true
		hi = max(hi, c.Index)
	}
	return len(seen), int(hi+1) - len(seen), recording.IsComplete(chunks)
}
