package store

import (
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"
)

// BenchmarkWriteCalls measures the Writer, reported as calls/s (and
// rows/s over all tables): "full" analyses have 2 channels, 10 segments,
// 2 silences, 1 overlap, 2 digits, 0-2 flags and 1 pause; "calls_only" are
// bare calls rows.
func BenchmarkWriteCalls(b *testing.B) {
	for _, full := range []bool{true, false} {
		name := map[bool]string{true: "full", false: "calls_only"}[full]
		b.Run(name, func(b *testing.B) {
			root := b.TempDir()
			r := rand.New(rand.NewPCG(1, 2))
			recs := make([]*Recording, 1000)
			rowsPer := 0
			for i := range recs {
				recs[i] = genRecording(r, i, day0.Add(time.Duration(i)*time.Minute), time.Time{})
				if !full {
					recs[i] = &Recording{Call: recs[i].Call}
				}
				x := recs[i]
				rowsPer += 1 + len(x.Channels) + len(x.Segments) + len(x.Silences) + len(x.Overlaps) + len(x.DTMF) + len(x.QAFlags) + len(x.Pauses)
			}
			w, err := NewWriter(root, WriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			start := time.Now()
			n := 0
			for b.Loop() {
				if err := w.Add(recs[n%len(recs)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := w.Close(b.Context()); err != nil {
				b.Fatal(err)
			}
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(n)/secs, "calls/s")
			b.ReportMetric(float64(n)*float64(rowsPer)/float64(len(recs))/secs, "rows/s")
		})
	}
}

const benchCalls = 100_000

var (
	bigOnce sync.Once
	bigRoot string
	bigErr  error
	bigRate float64
)

// bigLake writes benchCalls analyses over 10 days once per process.
func bigLake(b *testing.B) string {
	bigOnce.Do(func() {
		bigRoot, bigErr = os.MkdirTemp("", "callscope-bench-lake-")
		if bigErr != nil {
			return
		}
		w, err := NewWriter(bigRoot, WriterOptions{})
		if err != nil {
			bigErr = err
			return
		}
		r := rand.New(rand.NewPCG(3, 4))
		start := time.Now()
		for i := 0; i < benchCalls; i++ {
			st := day0.AddDate(0, 0, i%10).Add(time.Duration(i/10) * time.Second)
			if err := w.Add(genRecording(r, i, st, time.Time{})); err != nil {
				bigErr = err
				return
			}
		}
		bigErr = w.Close(b.Context())
		bigRate = benchCalls / time.Since(start).Seconds()
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	b.Logf("wrote %d calls (with channels, segments, silences, overlaps, dtmf, flags, pauses) at %.0f calls/s", benchCalls, bigRate)
	return bigRoot
}

// The queries timed over 100k calls: a report qa-style summary and the
// query of report calls --date.
const (
	benchQAQuery = `WITH f AS (SELECT flag, severity, count(*) AS raised, count(DISTINCT recording_id) AS calls FROM qa_flags GROUP BY ALL),
w AS (SELECT recording_id, qa_score, qa_flags FROM calls ORDER BY qa_score, recording_id LIMIT 20)
SELECT (SELECT list(f ORDER BY raised DESC) FROM f), (SELECT list(w) FROM w), (SELECT count(*) FROM calls)`
	benchCallsQuery = `SELECT start_time, recording_id, round(recorded_s, 1) AS recorded_s, channels,
	round(talk_s, 1) AS talk_s, round(silence_s, 1) AS silence_s, dead_air_count,
	overlap_count, interruptions, dtmf_count, qa_score, qa_flags
FROM calls WHERE date = CAST(? AS DATE) ORDER BY start_time, recording_id`
)

// BenchmarkQuery100k writes 100k calls through the Writer (reporting the
// write rate), then times Open and the report queries over them.
func BenchmarkQuery100k(b *testing.B) {
	root := bigLake(b)
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			db, err := Open(b.Context(), root, OpenOptions{})
			if err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
	})
	db, err := Open(b.Context(), root, OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("qa_summary", func(b *testing.B) {
		for b.Loop() {
			res, err := db.Query(b.Context(), benchQAQuery)
			if err != nil {
				b.Fatal(err)
			}
			if res.Rows[0][2] != int64(benchCalls) {
				b.Fatalf("calls: %v", res.Rows[0][2])
			}
		}
	})
	b.Run("calls_date", func(b *testing.B) {
		for b.Loop() {
			res, err := db.Query(b.Context(), benchCallsQuery, "2026-11-23")
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Rows) != benchCalls/10 {
				b.Fatalf("rows: %d", len(res.Rows))
			}
		}
	})
	b.Run("compact", func(b *testing.B) {
		for b.Loop() {
			if _, err := Compact(b.Context(), root, "2026-11-20", CompactOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
