package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/callscope/callscope/internal/azuritetest"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		name            string
		ok              bool
		kind, doc, call string
	}{
		{"20250317/36cf910b-932c-4101-a443-04e11a98aba5/eyJQbGF0-5f2c/0-acsmetadata.0-eus-d12-801b.json", true, "acsmetadata", "0-eus-d12-801b", "36cf910b-932c-4101-a443-04e11a98aba5"},
		{"20250317/c/eyJQbGF0-5f2c/0-audiomp3.0-eus-d12-801b.mp3", true, "audiomp3", "0-eus-d12-801b", "c"},
		{"20250317/c/eyJQbGF0-5f2c/1-audiowav.0-eus-d12-801b.wav", true, "audiowav", "0-eus-d12-801b", "c"},
		{"20250317/c/eyJQbGF0-5f2c/0-acsmetadata.doc.txt", false, "", "", ""},
		{"20250317/c/0-acsmetadata.doc.json", false, "", "", ""},
		{"README.md", false, "", "", ""},
		{"a/b/c/d/0-audiowav.doc.wav", false, "", "", ""},
	}
	for _, tt := range tests {
		_, call, _, _, kind, doc, _, ok := ParseName(tt.name)
		if ok != tt.ok || kind != tt.kind || doc != tt.doc || call != tt.call {
			t.Errorf("%s: got ok=%v kind=%q doc=%q call=%q", tt.name, ok, kind, doc, call)
		}
	}
}

func FuzzParseName(f *testing.F) {
	f.Add("20250317/c/eyJQbGF0-5f2c/0-audiowav.doc.wav")
	f.Fuzz(func(t *testing.T, s string) {
		date, call, folder, _, kind, doc, _, ok := ParseName(s)
		if ok && (date == "" || call == "" || folder == "" || kind == "" || doc == "") {
			t.Fatalf("%q parsed with an empty part", s)
		}
	})
}

// Upload writes blobs of the BYOS layout and returns their contents.
func upload(t testing.TB, c *container.Client, blobs map[string]int) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, n := range blobs {
		b := make([]byte, n)
		rand.Read(b)
		if _, err := c.NewBlockBlobClient(name).UploadBuffer(context.Background(), b, nil); err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

func newContainer(t testing.TB) (*Container, *azuritetest.Server) {
	az := azuritetest.Start(t)
	c, err := New(Options{ContainerURL: az.BlobURL + "/recordings", ConnectionString: az.ConnectionString(), RetryDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().Create(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return c, az
}

func TestListAndDownload(t *testing.T) {
	c, _ := newContainer(t)
	ctx := context.Background()
	data := upload(t, c.Client(), map[string]int{
		"20250316/call-a/eyJQbGF0-1111/0-acsmetadata.doc-a0.json": 300,
		"20250316/call-a/eyJQbGF0-1111/0-audiowav.doc-a0.wav":     70000,
		"20250317/call-b/eyJQbGF0-2222/0-acsmetadata.doc-b0.json": 300,
		"20250317/call-b/eyJQbGF0-2222/0-audiowav.doc-b0.wav":     5000,
		"20250317/call-b/eyJQbGF0-2222/1-acsmetadata.doc-b1.json": 300,
		"20250317/call-b/eyJQbGF0-2222/1-audiomp3.doc-b1.mp3":     3000,
		"unrelated/file.txt": 10,
	})
	recs, err := c.List(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].ID() != "eyJQbGF0-2222" || len(recs[1].Chunks) != 2 || recs[1].Chunks[1].AudioFormat != "mp3" || recs[1].Chunks[1].Index != 1 {
		t.Fatalf("recordings %+v", recs)
	}
	since, _ := time.Parse("2006-01-02", "2025-03-17")
	recs, _ = c.List(ctx, since)
	if len(recs) != 1 || recs[0].CallID != "call-b" {
		t.Fatalf("since filter: %+v", recs)
	}

	dir := t.TempDir()
	name := "20250316/call-a/eyJQbGF0-1111/0-audiowav.doc-a0.wav"
	p := filepath.Join(dir, "a.wav")
	os.WriteFile(p, data[name][:12345], 0o640) // partial from a crash: resumed
	n, err := c.Download(ctx, name, p)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if n != 70000 || !bytes.Equal(got, data[name]) {
		t.Fatalf("downloaded %d bytes, equal=%v", n, bytes.Equal(got, data[name]))
	}
	// Already complete: a second call is a no-op.
	if n, err := c.Download(ctx, name, p); err != nil || n != 70000 {
		t.Fatalf("complete file: %d %v", n, err)
	}
	_, err = c.Download(ctx, "20250316/call-a/eyJQbGF0-1111/9-audiowav.missing.wav", filepath.Join(dir, "m"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing blob: %v", err)
	}
	if nm, ok := c.IsBlobURL(c.Client().URL() + "/" + name); !ok || nm != name {
		t.Fatalf("IsBlobURL: %q %v", nm, ok)
	}
}
