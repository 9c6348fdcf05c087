package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/callscope/callscope/recording"
)

// QuarantineDir is where failed recordings go, under the data root.
const QuarantineDir = "quarantine"

// Reason is the reason file written for a quarantined recording.
type Reason struct {
	Input string    `json:"input"`
	Stage string    `json:"stage,omitempty"`
	Error string    `json:"error"`
	Time  time.Time `json:"time"`
	// Moved is where the recording folder now is, when it was moved out of
	// DATA/recordings (folders elsewhere, and bare files, are never moved).
	Moved string `json:"moved,omitempty"`
}

// Quarantine records that input failed: it writes
// DATA/quarantine/<name>/reason.json and, when input is a recording folder
// inside DATA/recordings, moves the folder next to it so the nightly run
// does not retry it forever. It returns the quarantine directory.
func Quarantine(dataDir, input string, cause error, now time.Time) (string, error) {
	abs, err := filepath.Abs(input)
	if err != nil {
		abs = input
	}
	name := recording.SafeID(strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs)))
	dir := filepath.Join(dataDir, QuarantineDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create quarantine folder: %w", err)
	}
	r := Reason{Input: input, Error: cause.Error(), Time: now.UTC()}
	var pe *Error
	if errors.As(cause, &pe) {
		r.Stage = pe.Stage
	}
	recs, _ := filepath.Abs(filepath.Join(dataDir, recording.RecordingsDir))
	if st, err := os.Stat(abs); err == nil && st.IsDir() && filepath.Dir(abs) == recs {
		dst := filepath.Join(dir, "recording")
		_ = os.RemoveAll(dst)
		if err := os.Rename(abs, dst); err == nil {
			r.Moved = dst
		}
	}
	data, _ := json.MarshalIndent(r, "", "  ")
	if err := recording.WriteFileAtomic(filepath.Join(dir, "reason.json"), append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write quarantine reason: %w", err)
	}
	return dir, nil
}
