package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/callscope/callscope/internal/azuritetest"
	"github.com/callscope/callscope/internal/cli"
	"github.com/callscope/callscope/internal/ingest"
	"github.com/callscope/callscope/recording"
	"github.com/callscope/callscope/recording/acs"
	"github.com/callscope/callscope/recording/acstest"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(context.Background(), newRoot(g), args, &errb)
	return code, out.String(), errb.String()
}

type collector struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies = append(c.bodies, b)
	c.mu.Unlock()
}

func sine(f float64, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(0.2 * math.Sin(2*math.Pi*f*float64(i)/16000))
	}
	return out
}

func TestEventsReplayAndSpoolCommands(t *testing.T) {
	clock := acstest.NewManualClock(time.Now().UTC().Truncate(time.Second))
	col := &collector{}
	hook := httptest.NewServer(col)
	defer hook.Close()
	sim := acstest.NewServer(acstest.Options{Clock: clock.Now, EventGridWebhook: hook.URL})
	defer sim.Close()
	sim.AddCall(acstest.Call{ServerCallID: "Y21kLWNhbGw=", CorrelationID: "corr", Start: clock.Now(),
		Participants: []acstest.Participant{{RawID: "4:+14255550100", Audio: sine(440, 48000)}}})
	c, err := acs.NewClientFromConnectionString(sim.ConnectionString(), acs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := c.StartRecording(ctx, acs.StartRequest{CallLocator: acs.ServerCall("Y21kLWNhbGw="), RecordingContentType: acs.ContentAudio, RecordingChannelType: acs.ChannelMixed, RecordingFormatType: acs.FormatWav}, acs.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	if _, err := c.StopRecording(ctx, st.RecordingID); err != nil {
		t.Fatal(err)
	}
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var files []string
	for i, b := range col.bodies {
		p := filepath.Join(dir, "delivery-"+string(rune('a'+i))+".json")
		os.WriteFile(p, b, 0o640)
		files = append(files, p)
	}
	if len(files) == 0 {
		t.Fatal("simulator delivered nothing")
	}
	data := t.TempDir()
	args := []string{"events", "--data", data, "--content-allow-insecure-loopback", "--wait", "30s"}
	for _, h := range sim.StorageHosts() {
		args = append(args, "--content-allow-host", h)
	}
	env := map[string]string{acs.EnvConnectionString: sim.ConnectionString()}
	code, out, errs := run(t, env, append(args, files...)...)
	if code != 0 {
		t.Fatalf("events exit %d: %s %s", code, out, errs)
	}
	f, err := recording.LoadFolder(filepath.Join(data, ingest.RecordingsDir, recording.SafeID(st.RecordingID)))
	if err != nil || !f.Manifest.Complete {
		t.Fatalf("folder: %v %+v", err, f)
	}
	if strings.Contains(errs, sim.AccessKey()) {
		t.Fatal("log leaks the access key")
	}
	// Replaying again is a no-op (deduplicated by event id).
	if code, _, errs := run(t, env, append(args, files...)...); code != 0 {
		t.Fatalf("second replay exit %d: %s", code, errs)
	}
	code, out, _ = run(t, nil, "spool", "ls", "--data", data)
	if code != 0 || !strings.Contains(out, "0 pending, 0 failed, 1 done") {
		t.Fatalf("spool ls exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, nil, "spool", "ls", "--data", data, "--json")
	if code != 0 || !strings.Contains(out, `"state":"done"`) {
		t.Fatalf("spool ls --json: %s", out)
	}

	// --analyze: the completed recording lands in the dataset.
	data2 := t.TempDir()
	args[2] = data2
	code, _, errs = run(t, env, append(append(args, "--analyze"), files...)...)
	if code != 0 {
		t.Fatalf("events --analyze exit %d: %s", code, errs)
	}
	var parquet []string
	filepath.WalkDir(filepath.Join(data2, "lake"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			parquet = append(parquet, p)
		}
		return nil
	})
	if len(parquet) == 0 || !strings.Contains(errs, "analyzed") {
		t.Fatalf("no dataset written by --analyze (%v): %s", parquet, errs)
	}
}

func TestSpoolRetryDrop(t *testing.T) {
	data := t.TempDir()
	p := filepath.Join(t.TempDir(), "ev.json")
	// A chunk on a foreign host fails permanently.
	os.WriteFile(p, []byte(`[{"id":"ev-1","eventType":"Microsoft.Communication.RecordingFileStatusUpdated","subject":"/recording/call/c/recordingId/r1","data":{"recordingStorageInfo":{"recordingChunks":[{"documentId":"d","index":0,"endReason":"SessionEnded","contentLocation":"https://evil.example.net/x","metadataLocation":"https://evil.example.net/y"}]}}}]`), 0o640)
	env := map[string]string{acs.EnvConnectionString: "endpoint=https://contoso.communication.azure.com/;accesskey=cHc="}
	code, _, errs := run(t, env, "events", "--data", data, p)
	if code != cli.ExitFailed {
		t.Fatalf("exit %d, want 1: %s", code, errs)
	}
	code, out, _ := run(t, nil, "spool", "show", "--data", data, "ev-1")
	if code != 0 || !strings.Contains(out, `"state": "failed"`) || !strings.Contains(out, "allow-list") {
		t.Fatalf("show: %s", out)
	}
	if code, out, _ := run(t, nil, "spool", "retry", "--data", data, "ev-1"); code != 0 || !strings.Contains(out, "retry ev-1") {
		t.Fatalf("retry: %d %s", code, out)
	}
	code, out, _ = run(t, nil, "spool", "ls", "--data", data, "--state", "pending")
	if code != 0 || !strings.Contains(out, "ev-1") {
		t.Fatalf("ls pending: %s", out)
	}
	if code, _, _ := run(t, nil, "spool", "drop", "--data", data, "ev-1"); code != 0 {
		t.Fatal("drop failed")
	}
	if code, _, _ := run(t, nil, "spool", "ls", "--data", data, "--state", "bogus"); code != cli.ExitUsage {
		t.Fatalf("bad state exit %d", code)
	}
}

func TestServeRefusesWithoutAuth(t *testing.T) {
	t.Setenv(EnvEventSecret, "")
	code, _, errs := run(t, nil, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	if code != cli.ExitUsage || !strings.Contains(errs, "authentication") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestServeRunsAndStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(ctx, newRoot(g), []string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--event-secret", "s3cr3t-value", "--log-format", "json"}, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "ingest listening") || strings.Contains(errb.String(), "s3cr3t-value") {
		t.Fatalf("log: %s", errb.String())
	}
}

func TestBackfillAzurite(t *testing.T) {
	if testing.Short() {
		t.Skip("Azurite")
	}
	az := azuritetest.Start(t)
	ctx := context.Background()
	cu := az.BlobURL + "/byos"
	cred, _ := container.NewSharedKeyCredential(azuritetest.AccountName, azuritetest.AccountKey)
	cc, err := container.NewClientWithSharedKeyCredential(cu, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile("../../testdata/acs/samples/metadata-js-nock-2021-with-pause-interval.json")
	if err != nil {
		t.Fatal(err)
	}
	wav := append([]byte("RIFF"), bytes.Repeat([]byte{1, 2, 3, 4}, 50000)...)
	blobs := map[string][]byte{
		"20250317/call-1/eyJQbGF0-aaaa/0-acsmetadata.doc0.json": md,
		"20250317/call-1/eyJQbGF0-aaaa/0-audiowav.doc0.wav":     wav,
		"20250317/call-1/eyJQbGF0-aaaa/1-acsmetadata.doc1.json": md,
		"20250317/call-1/eyJQbGF0-aaaa/1-audiowav.doc1.wav":     wav[:1000],
		"20250101/call-0/eyJQbGF0-old0/0-acsmetadata.docx.json": md,
		"20250101/call-0/eyJQbGF0-old0/0-audiowav.docx.wav":     wav,
	}
	for name, b := range blobs {
		if _, err := cc.NewBlockBlobClient(name).UploadBuffer(ctx, b, nil); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	env := map[string]string{"AZURE_STORAGE_CONNECTION_STRING": az.ConnectionString(), acs.EnvConnectionString: ""}
	code, out, errs := run(t, env, "backfill", "--data", data, "--container", cu, "--since", "2025-03-01", "--wait", "30s")
	if code != 0 {
		t.Fatalf("backfill exit %d: %s %s", code, out, errs)
	}
	f, err := recording.LoadFolder(filepath.Join(data, ingest.RecordingsDir, "eyJQbGF0-aaaa"))
	if err != nil || !f.Manifest.Complete || len(f.Chunks) != 2 || f.Manifest.Chunks[1].AudioSize != 1000 {
		t.Fatalf("folder %v %+v", err, f)
	}
	if _, err := os.Stat(filepath.Join(data, ingest.RecordingsDir, "eyJQbGF0-old0")); err == nil {
		t.Fatal("--since did not filter")
	}
	// Nothing new the second time.
	code, _, errs = run(t, env, "backfill", "--data", data, "--container", cu, "--wait", "30s")
	if code != 0 {
		t.Fatalf("second backfill exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "already_complete_or_unusable=1") {
		t.Fatalf("second backfill log: %s", errs)
	}
}

func TestServeConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "callscope.yaml")
	os.WriteFile(cfg, []byte(`ingest:
  listen: 127.0.0.1:0
  server:
    max_body_bytes: 65536
    shutdown_timeout: 5s
    workers:
      workers: 2
      max_attempts: 3
    spool:
      segment_bytes: 1048576
  content:
    allowed_host_suffixes: [".asm.skype.com"]
    max_attempts: 4
  queue:
    poison_after: 3
`), 0o640)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	g := &cli.Globals{Stdout: &out, Stderr: &errb}
	code := cli.Run(ctx, newRoot(g), []string{"serve", "--config", cfg, "--data", t.TempDir(), "--event-secret", "k"}, &errb)
	if code != 0 || !strings.Contains(errb.String(), "127.0.0.1:") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	os.WriteFile(cfg, []byte("ingest:\n  listn: :1\n"), 0o640)
	code = cli.Run(ctx, newRoot(&cli.Globals{Stdout: &out, Stderr: &errb}), []string{"serve", "--config", cfg, "--data", t.TempDir(), "--event-secret", "k"}, &errb)
	if code != cli.ExitUsage {
		t.Fatalf("unknown key: exit %d", code)
	}
}
