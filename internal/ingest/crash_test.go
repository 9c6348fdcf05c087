package ingest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/callscope/callscope/recording/eventgrid"
	"github.com/callscope/callscope/recording/spool"
)

const crashChildEnv = "CALLSCOPE_INGEST_CRASH_CHILD"

// crashChildMain runs an ingest server on a loopback port (printed on
// stdout) until it is killed. The parent kills it with SIGKILL.
func crashChildMain() {
	dir := os.Getenv(crashChildEnv)
	o := DefaultServerOptions()
	o.DataDir = dir
	o.Auth = eventgrid.NewSecretAuth(testSecret)
	srv, err := NewServer(o, &Processor{DataDir: dir})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	fmt.Println("ADDR", ln.Addr().String())
	// No workers: items stay pending, so the parent can count them.
	hs := &http.Server{Handler: srv.Handler()}
	hs.Serve(ln)
}

func rfsu(id, rec string) string {
	return fmt.Sprintf(`[{"id":%q,"eventType":"Microsoft.Communication.RecordingFileStatusUpdated","subject":"/recording/call/c/recordingId/%s","eventTime":"2026-01-01T00:00:00Z","data":{"recordingStorageInfo":{"recordingChunks":[{"documentId":"doc-%s","index":0,"endReason":"SessionEnded","contentLocation":"http://127.0.0.1:1/v1/objects/d/content/video"}]}}}]`, id, rec, id)
}

// TestKill9UnderLoad re-executes the test binary as an ingest server,
// posts deliveries from many goroutines, kills the server with SIGKILL
// mid-stream and checks that every delivery answered 200 is in the spool
// exactly once after a restart.
func TestKill9UnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	var mu sync.Mutex
	var seq atomic.Int64
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		addr := ""
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addr = a
				break
			}
			t.Fatalf("child: %s", sc.Text())
		}
		if addr == "" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("child printed no address")
		}
		tr := &http.Transport{MaxIdleConnsPerHost: 32}
		client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					n := seq.Add(1)
					id := fmt.Sprintf("ev-%d", n)
					// Every tenth delivery repeats an earlier event id.
					if n%10 == 0 {
						id = fmt.Sprintf("ev-%d", n-5)
					}
					resp, err := client.Post("http://"+addr+"/api/events?code="+testSecret, "application/json", strings.NewReader(rfsu(id, "rec-"+id)))
					if err != nil {
						continue
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						mu.Lock()
						acked[id] = true
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(400+300*round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		time.Sleep(100 * time.Millisecond)
		close(stop)
		wg.Wait()
		cmd.Wait()
		tr.CloseIdleConnections()

		sp, err := spool.Open(filepath.Join(dir, SpoolDir), spool.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen spool: %v", round, err)
		}
		items := sp.List()
		sp.Close()
		seen := map[string]int{}
		for _, it := range items {
			seen[it.ID]++
		}
		mu.Lock()
		missing := 0
		for id := range acked {
			if seen[id] == 0 {
				missing++
			}
		}
		n := len(acked)
		mu.Unlock()
		for id, c := range seen {
			if c != 1 {
				t.Fatalf("round %d: %s stored %d times", round, id, c)
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d of %d acknowledged events lost", round, missing, n)
		}
		if n == 0 {
			t.Fatalf("round %d: nothing acknowledged", round)
		}
		t.Logf("round %d: %d acknowledged so far, all in the spool (%d items)", round, n, len(items))
	}
}
