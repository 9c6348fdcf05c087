package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/callscope/callscope/store"
)

// Write one analysis to a lake, then query the latest-wins views.
func Example() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "callscope-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)

	w, err := store.NewWriter(root, store.WriterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	err = w.Add(&store.Recording{
		Call: store.Call{
			RecordingID: "rec-1", StartTime: start, EndTime: start.Add(time.Minute),
			RecordedS: 60, Channels: 2, SampleRate: 16000, QAScore: 90,
			QAFlags: []string{"dead_air"}, MetricsVersion: "1", AnalyzerVersion: "dev",
		},
		Segments: []store.Segment{{Channel: 0, StartS: 1, EndS: 4.5, StartTime: start.Add(time.Second)}},
		QAFlags:  []store.QAFlag{{Flag: "dead_air", Severity: "warning", Value: 12, Threshold: 10}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		log.Fatal(err)
	}

	db, err := store.Open(ctx, root, store.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	res, err := db.Query(ctx, `SELECT c.recording_id, c.date, count(s.start_s) AS segments, c.qa_flags
		FROM calls c LEFT JOIN segments s USING (recording_id) GROUP BY ALL`)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res.Rows {
		fmt.Println(r[0], r[1].(time.Time).Format(time.DateOnly), r[2], r[3])
	}
	// Output: rec-1 2026-11-20 1 [dead_air]
}
