package azuritetest_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue"

	"github.com/callscope/callscope/internal/azuritetest"
)

// TestBlobRoundTrip proves the real emulator starts on this machine and
// azblob talks to it: upload, ranged download, listing, not-found mapping.
func TestBlobRoundTrip(t *testing.T) {
	srv := azuritetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := azblob.NewClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(ctx, "recordings", nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	data := make([]byte, 3<<20+17)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	name := "20261120/call/eyJQbGF0-guid/0-audiowav.doc.wav"
	if _, err := client.UploadBuffer(ctx, "recordings", name, data, &azblob.UploadBufferOptions{BlockSize: 1 << 20}); err != nil {
		t.Fatalf("upload: %v", err)
	}
	resp, err := client.DownloadStream(ctx, "recordings", name, nil)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("downloaded %d bytes, differ from the %d uploaded", len(got), len(data))
	}
	rng, err := client.DownloadStream(ctx, "recordings", name, &azblob.DownloadStreamOptions{Range: azblob.HTTPRange{Offset: 1000, Count: 24}})
	if err != nil {
		t.Fatalf("ranged download: %v", err)
	}
	part, _ := io.ReadAll(rng.Body)
	rng.Body.Close()
	if !bytes.Equal(part, data[1000:1024]) {
		t.Fatalf("range 1000+24 returned wrong bytes")
	}
	pager := client.NewListBlobsFlatPager("recordings", &azblob.ListBlobsFlatOptions{Prefix: new("20261120/")})
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Segment.BlobItems)
	}
	if n != 1 {
		t.Fatalf("listed %d blobs, want 1", n)
	}
	_, err = client.DownloadStream(ctx, "recordings", "missing.wav", nil)
	if !bloberror.HasCode(err, bloberror.BlobNotFound) {
		t.Fatalf("missing blob: got %v, want BlobNotFound", err)
	}
}

// TestQueueRoundTrip checks the Queue service the scale-out mode relies on.
func TestQueueRoundTrip(t *testing.T) {
	srv := azuritetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	svc, err := azqueue.NewServiceClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := svc.NewQueueClient("events")
	if _, err := q.Create(ctx, nil); err != nil {
		t.Fatalf("create queue: %v", err)
	}
	if _, err := q.EnqueueMessage(ctx, `{"id":"1"}`, nil); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	resp, err := q.DequeueMessage(ctx, nil)
	if err != nil {
		t.Fatalf("dequeue: %v", err)
	}
	if len(resp.Messages) != 1 || *resp.Messages[0].MessageText != `{"id":"1"}` {
		t.Fatalf("dequeued %+v", resp.Messages)
	}
}
