package pipeline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callscope/callscope/dsp"
	"github.com/callscope/callscope/recording"
)

// Input is a recording opened for analysis.
type Input struct {
	Path   string            // what the user named: a folder or a WAV file
	Folder *recording.Folder // nil for a bare WAV file
	// Per chunk, in index order.
	Chunks []ChunkInput
	// RecordingID is the ACS recording id, or for a bare WAV the file name.
	RecordingID string
	Source      string // "acs", "blob" or "file"
}

// ChunkInput is one chunk's audio file, its format and its metadata.
type ChunkInput struct {
	Index     int64
	AudioPath string
	Format    dsp.Format
	Frames    int64 // frames declared by the WAV header, -1 if unknown
	Metadata  *recording.Metadata
}

// Error reports a recording that failed a stage. Path names the input,
// Stage what was being done.
type Error struct {
	Path  string
	Stage string // "open", "read", "analyze", "quality", "store"
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s: %v", e.Path, e.Stage, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Open inspects path: a directory is loaded as a recording folder, a file
// must be a WAV. Every chunk's WAV header is read and checked (format,
// channel count against the metadata) so that a bad input fails here,
// before anything is analyzed or written.
func Open(path string) (*Input, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Path: path, Stage: "open", Err: err}
	}
	in := &Input{Path: path}
	if st.IsDir() {
		f, err := recording.LoadFolder(path)
		if err != nil {
			return nil, &Error{Path: path, Stage: "open", Err: err}
		}
		in.Folder = f
		in.RecordingID = f.Manifest.RecordingID
		in.Source = f.Manifest.Source
		if in.Source == "" {
			in.Source = "acs"
		}
		for _, c := range f.Chunks {
			in.Chunks = append(in.Chunks, ChunkInput{Index: c.Index, AudioPath: c.AudioPath, Metadata: c.Metadata})
		}
	} else {
		if st.Size() == 0 {
			return nil, &Error{Path: path, Stage: "open", Err: errors.New("empty file (0 bytes)")}
		}
		base := filepath.Base(path)
		in.RecordingID = strings.TrimSuffix(base, filepath.Ext(base))
		in.Source = "file"
		in.Chunks = []ChunkInput{{Index: 0, AudioPath: path}}
	}
	for i := range in.Chunks {
		c := &in.Chunks[i]
		r, closeFn, err := openWAV(c.AudioPath)
		if err != nil {
			return nil, &Error{Path: c.AudioPath, Stage: "open", Err: err}
		}
		c.Format, c.Frames = r.Format(), r.Frames()
		closeFn()
		if i > 0 {
			f0 := in.Chunks[0].Format
			if c.Format.Channels != f0.Channels || c.Format.SampleRate != f0.SampleRate {
				return nil, &Error{Path: c.AudioPath, Stage: "open", Err: fmt.Errorf("chunk %d is %d ch %d Hz, chunk %d is %d ch %d Hz",
					c.Index, c.Format.Channels, c.Format.SampleRate, in.Chunks[0].Index, f0.Channels, f0.SampleRate)}
			}
		}
		if c.Metadata != nil {
			for _, p := range c.Metadata.Participants {
				if p.Channel != nil && *p.Channel >= c.Format.Channels {
					return nil, &Error{Path: c.AudioPath, Stage: "open", Err: fmt.Errorf("metadata maps participant to channel %d but the WAV has %d channels", *p.Channel, c.Format.Channels)}
				}
			}
		}
	}
	return in, nil
}

// openWAV opens a WAV file for streaming.
func openWAV(path string) (*dsp.Reader, func(), error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := dsp.NewReader(bufio.NewReaderSize(fh, 64<<10))
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	return r, func() { fh.Close() }, nil
}

// Channels returns the channel count of the recording.
func (in *Input) Channels() int { return in.Chunks[0].Format.Channels }

// SampleRate returns the sample rate of the recording.
func (in *Input) SampleRate() int { return in.Chunks[0].Format.SampleRate }

// Timeline builds the audio-offset → wall-clock mapping. Chunk start times
// come from each chunk's metadata; without metadata from the event's
// recordingStartTime; for a bare WAV from the file's modification time minus
// its duration (the file was written when the call ended).
func (in *Input) Timeline() (*recording.Timeline, error) {
	spans := make([]recording.ChunkSpan, len(in.Chunks))
	var prevEnd time.Time
	for i, c := range in.Chunks {
		if c.Frames < 0 {
			return nil, &Error{Path: c.AudioPath, Stage: "open", Err: errors.New("WAV header does not declare its length; cannot place later chunks on the timeline")}
		}
		secs := float64(c.Frames) / float64(c.Format.SampleRate)
		s := recording.ChunkSpan{AudioSeconds: secs}
		switch {
		case c.Metadata != nil && !c.Metadata.ChunkStartTime.IsZero():
			s.Start = c.Metadata.ChunkStartTime
			s.Pauses = c.Metadata.PauseResumeIntervals
		case i == 0 && in.Folder != nil && !in.Folder.Manifest.RecordingStartTime.IsZero():
			s.Start = in.Folder.Manifest.RecordingStartTime
		case i > 0:
			s.Start = prevEnd
		default:
			st, err := os.Stat(c.AudioPath)
			if err != nil {
				return nil, &Error{Path: c.AudioPath, Stage: "open", Err: err}
			}
			s.Start = st.ModTime().Add(-time.Duration(secs * float64(time.Second))).UTC()
		}
		if c.Metadata != nil && s.Pauses == nil {
			s.Pauses = c.Metadata.PauseResumeIntervals
		}
		var paused time.Duration
		for _, p := range s.Pauses {
			paused += p.Duration()
		}
		prevEnd = s.Start.Add(time.Duration(secs*float64(time.Second)) + paused)
		spans[i] = s
	}
	return recording.NewTimeline(spans), nil
}

// source opens every chunk and concatenates them. The returned close
// function closes all files.
func (in *Input) source() (dsp.Source, func(), error) {
	var srcs []dsp.Source
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	for _, c := range in.Chunks {
		r, cl, err := openWAV(c.AudioPath)
		if err != nil {
			closeAll()
			return nil, nil, &Error{Path: c.AudioPath, Stage: "read", Err: err}
		}
		closers = append(closers, cl)
		srcs = append(srcs, r)
	}
	if len(srcs) == 1 {
		return srcs[0], closeAll, nil
	}
	src, err := dsp.Concat(srcs...)
	if err != nil {
		closeAll()
		return nil, nil, &Error{Path: in.Path, Stage: "read", Err: err}
	}
	return src, closeAll, nil
}

var _ io.Closer = (*os.File)(nil)
