package recording

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{RecordingID: "rec+/=", Source: "acs", Chunks: []ManifestChunk{
		{Index: 1, DocumentID: "d1", EndReason: "SessionEnded", Audio: ChunkAudioName(1), AudioSize: 4},
		{Index: 0, DocumentID: "d0", EndReason: "ChunkMaximumSizeExceeded", Audio: ChunkAudioName(0), AudioSize: 4},
	}}
	for _, c := range m.Chunks {
		if err := os.WriteFile(filepath.Join(dir, c.Audio), []byte("RIFF"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	if !m.Complete || m.Chunks[0].Index != 0 || m.Version != ManifestVersion {
		t.Fatalf("manifest after write: %+v", m)
	}
	f, err := LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Manifest.Complete || len(f.Chunks) != 2 || f.Manifest.RecordingID != "rec+/=" {
		t.Fatalf("loaded %+v", f.Manifest)
	}
	// Incomplete: gap.
	m.Chunks = m.Chunks[1:]
	if err := WriteManifest(dir, m); err != nil || m.Complete {
		t.Fatalf("gap: complete=%v err=%v", m.Complete, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != ManifestFile && filepath.Ext(e.Name()) != ".wav" {
			t.Errorf("leftover file %s", e.Name())
		}
	}
}
