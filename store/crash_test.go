package store

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const crashEnv = "CALLSCOPE_STORE_CRASH_ROOT"

// crashChild is the body of the child process: it writes analyses with
// many segments, one flush each, until it is killed.
func crashChild(root string) {
	w, err := NewWriter(root, WriterOptions{RowGroupRows: 4096})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 1))
	for i := 0; ; i++ {
		rec := genRecording(r, i, day0, time.Time{})
		rec.Call.RecordingID = fmt.Sprintf("crash-%d-%d", os.Getpid(), i)
		for k := 0; k < 20000; k++ { // large files: the kill lands mid-write
			rec.Segments = append(rec.Segments, Segment{Channel: k % 2, StartS: float64(k), EndS: float64(k) + 0.5, StartTime: day0})
		}
		rec.Call.Turns = len(rec.Segments)
		if err := w.Add(rec); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		if err := w.Flush(context.Background()); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("flushed", i)
	}
}

// TestCrashSafety kills a writing child process with SIGKILL at random
// points and checks that the lake never shows a partial file: every visible
// file is valid, every visible call has all its child rows, queries work.
func TestCrashSafety(t *testing.T) {
	if root := os.Getenv(crashEnv); root != "" {
		crashChild(root)
		return
	}
	root := t.TempDir()
	kills := 4
	if testing.Short() {
		kills = 2
	}
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
		cmd.Env = append(os.Environ(), crashEnv+"="+root)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || !strings.HasPrefix(sc.Text(), "flushed") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %q", sc.Text())
		}
		go func() {
			for sc.Scan() {
			}
		}()
		time.Sleep(time.Duration(10+rand.IntN(200)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}

	// Visible files are whole; temporaries are dot-prefixed.
	temps := 0
	filepath.WalkDir(LakeDir(root), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isTempName(d.Name()) {
			temps++
		}
		return nil
	})
	db := openDB(t, root)
	if bad := db.BadFiles(); len(bad) != 0 {
		t.Fatalf("partial or corrupt files visible after SIGKILL: %v", bad)
	}
	n := scalar(t, db, "SELECT count(*) FROM calls").(int64)
	if n < int64(kills) {
		t.Errorf("%d calls after %d children each flushed at least once", n, kills)
	}
	if got := scalar(t, db, "SELECT count(*) FROM calls c WHERE turns <> (SELECT count(*) FROM segments s WHERE s.recording_id = c.recording_id)"); got != int64(0) {
		t.Errorf("%v calls without all their segments", got)
	}
	if got := scalar(t, db, "SELECT count(*) FROM calls c WHERE 2 <> (SELECT count(*) FROM channels s WHERE s.recording_id = c.recording_id)"); got != int64(0) {
		t.Errorf("%v calls without all their channels", got)
	}
	orphans := scalar(t, db, "SELECT count(DISTINCT recording_id) FROM raw.segments WHERE recording_id NOT IN (SELECT recording_id FROM calls)").(int64)
	t.Logf("%d calls, %d orphaned analyses (killed between child and calls files), %d temporary files", n, orphans, temps)
	db.Close()

	// Compaction folds the orphans away (they are older than StaleTemp)
	// and removes the temporaries; the views do not change.
	st, err := Compact(ctxT(t), root, "", CompactOptions{StaleTemp: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if st.TempsRemoved != temps {
		t.Errorf("removed %d of %d temporary files", st.TempsRemoved, temps)
	}
	db = openDB(t, root)
	if got := scalar(t, db, "SELECT count(*) FROM calls"); got != n {
		t.Errorf("calls after compaction: %v, want %d", got, n)
	}
	if got := scalar(t, db, "SELECT count(*) FROM raw.segments WHERE recording_id NOT IN (SELECT recording_id FROM calls)"); got != int64(0) {
		t.Errorf("%v orphaned segments left after compaction", got)
	}
}
