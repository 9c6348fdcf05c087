package blob

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	azblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
)

// BenchmarkDownload compares our sequential resumable ranged download with
// azblob's parallel DownloadFile, both from Azurite (loopback).
func BenchmarkDownload(b *testing.B) {
	c, _ := newContainer(b)
	const size = 32 << 20
	name := "20250317/call/eyJQbGF0-bench/0-audiowav.doc.wav"
	upload(b, c.Client(), map[string]int{name: size})
	dir := b.TempDir()
	ctx := context.Background()
	b.Run("callscope", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			p := filepath.Join(dir, "ours")
			os.Remove(p)
			if n, err := c.Download(ctx, name, p); err != nil || n != size {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("azblob-DownloadFile", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			p := filepath.Join(dir, "theirs")
			f, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			n, err := c.Client().NewBlobClient(name).DownloadFile(ctx, f, &azblob.DownloadFileOptions{BlockSize: 4 << 20, Concurrency: 4})
			f.Sync()
			f.Close()
			if err != nil || n != size {
				b.Fatal(n, err)
			}
		}
	})
}
