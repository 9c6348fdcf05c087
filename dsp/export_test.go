package dsp

// What the external tests (package dsp_test) use of the internal test
// helpers, so that each is written once.

// MemSource is a Source replaying interleaved samples from memory.
type MemSource = laneSource

// NewMemSource returns a MemSource of x in format f.
func NewMemSource(f Format, x []float32) *MemSource { return &laneSource{f: f, x: x} }

// Rewind starts the source over.
func (m *laneSource) Rewind() { m.pos = 0 }

// ReadWAV returns a WAV file's format and interleaved samples.
var ReadWAV = readWAV
