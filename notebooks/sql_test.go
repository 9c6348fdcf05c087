package notebooks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/callscope/callscope/pipeline"
	"github.com/callscope/callscope/store"
	_ "github.com/callscope/callscope/store/duckdb" // the SQL engine behind store.Open
)

// demoRecordings runs the demo recordings through the real analysis
// pipeline and returns their dataset rows.
func demoRecordings(t *testing.T) []*store.Recording {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "recordings", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no demo recordings: %v", err)
	}
	an, err := pipeline.New(pipeline.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var recs []*store.Recording
	for _, d := range dirs {
		in, err := pipeline.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		out, err := an.Analyze(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, out.Rows)
	}
	return recs
}

// writeLake writes recs to a lake under a temporary root. With weeks > 1
// every recording is written once per week, shifted by 7 days each time
// under its own recording id, so trends have several weeks.
func writeLake(t *testing.T, recs []*store.Recording, weeks int) string {
	t.Helper()
	root := t.TempDir()
	w, err := store.NewWriter(root, store.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		for k := 0; k < weeks; k++ {
			rec := *r
			if k > 0 {
				d := time.Duration(k) * 7 * 24 * time.Hour
				rec.Call.RecordingID = fmt.Sprintf("%s-week%d", r.Call.RecordingID, k)
				rec.Call.StartTime = r.Call.StartTime.Add(d)
				rec.Call.EndTime = r.Call.EndTime.Add(d)
			}
			if err := w.Add(&rec); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	return root
}

func sqlFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("sql", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no notebooks/sql/*.sql: %v", err)
	}
	return files
}

// TestSQL runs every query over the analyzed demo recordings: each must
// succeed and return rows (the demo day has calls, flags, overlaps, DTMF
// and a pause). The daily queries also run with review_day set, as the
// notebooks do under CALLSCOPE_DATE.
func TestSQL(t *testing.T) {
	root := writeLake(t, demoRecordings(t), 1)
	db, err := store.Open(t.Context(), root, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range sqlFiles(t) {
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			res, err := db.Query(t.Context(), string(b))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(res.Rows) == 0 {
				t.Fatalf("%s returned no rows on the demo dataset", f)
			}
		})
	}

	// Session variables outlive a query on DuckDB's connection: check the
	// review_day variants on a database of their own, setting it every time.
	db2, err := store.Open(t.Context(), root, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, f := range sqlFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "review_day") {
			continue
		}
		for _, day := range []struct {
			date string
			rows bool
		}{{"2026-11-20", true}, {"2020-01-01", false}} {
			q := "SET VARIABLE review_day = DATE '" + day.date + "';\n" + string(b)
			res, err := db2.Query(t.Context(), q)
			if err != nil {
				t.Fatalf("%s with review_day %s: %v", f, day.date, err)
			}
			if (len(res.Rows) > 0) != day.rows {
				t.Errorf("%s with review_day %s: %d rows", f, day.date, len(res.Rows))
			}
		}
	}
}

// queryRE finds the queries a notebook runs: nb.query("name").
var queryRE = regexp.MustCompile(`nb\.query\("([a-z0-9_]+)"\)`)

// TestNotebooksUseSQLFiles checks that the notebooks are valid JSON with the
// python3 kernel and no stored outputs, that every query they name has its
// sql/<name>.sql, and that every SQL file is used by a notebook.
func TestNotebooksUseSQLFiles(t *testing.T) {
	nbs, err := filepath.Glob("*.ipynb")
	if err != nil || len(nbs) < 4 {
		t.Fatalf("want at least 4 notebooks, found %d (%v)", len(nbs), err)
	}
	used := map[string]bool{}
	for _, f := range nbs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				CellType string          `json:"cell_type"`
				Source   json.RawMessage `json:"source"`
				Outputs  []any           `json:"outputs"`
			} `json:"cells"`
			Metadata struct {
				Kernelspec struct{ Name string } `json:"kernelspec"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(b, &nb); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if nb.Metadata.Kernelspec.Name != "python3" {
			t.Errorf("%s: kernel %q, want python3", f, nb.Metadata.Kernelspec.Name)
		}
		n := 0
		for _, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			if len(c.Outputs) > 0 {
				t.Errorf("%s: a code cell has stored outputs (clear them before committing)", f)
			}
			var src string
			var lines []string
			if json.Unmarshal(c.Source, &src) != nil {
				if err := json.Unmarshal(c.Source, &lines); err != nil {
					t.Fatalf("%s: cell source: %v", f, err)
				}
				src = strings.Join(lines, "")
			}
			if regexp.MustCompile(`(?i)\bSELECT\b.+\bFROM\b`).MatchString(src) {
				t.Errorf("%s: a cell holds inline SQL; put it in sql/<name>.sql", f)
			}
			for _, m := range queryRE.FindAllStringSubmatch(src, -1) {
				n++
				used[m[1]] = true
				if _, err := os.Stat(filepath.Join("sql", m[1]+".sql")); err != nil {
					t.Errorf("%s: query %q has no sql/%s.sql", f, m[1], m[1])
				}
			}
		}
		if n == 0 {
			t.Errorf("%s runs no query", f)
		}
	}
	var unused []string
	for _, f := range sqlFiles(t) {
		if name := strings.TrimSuffix(filepath.Base(f), ".sql"); !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("SQL files no notebook uses: %v", unused)
	}
}

// TestTrendsOverWeeks runs the trend queries over three weeks of the demo
// calls: one row per week, the same counts each week.
func TestTrendsOverWeeks(t *testing.T) {
	root := writeLake(t, demoRecordings(t), 3)
	db, err := store.Open(t.Context(), root, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := func(name string) *store.Result {
		b, err := os.ReadFile(filepath.Join("sql", name+".sql"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Query(t.Context(), string(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	res := run("weekly_trends")
	if len(res.Rows) != 3 {
		t.Fatalf("weekly_trends: %d rows, want 3 weeks", len(res.Rows))
	}
	want := []string{"2026-11-16", "2026-11-23", "2026-11-30"}
	for i, row := range res.Rows {
		wk, _ := row[0].(time.Time)
		if got := wk.Format(time.DateOnly); got != want[i] {
			t.Errorf("week %d = %s, want %s", i, got, want[i])
		}
		if calls, _ := row[1].(int64); calls != 2 {
			t.Errorf("week %s: %v calls, want 2", want[i], row[1])
		}
	}
	if res := run("dtmf_by_day"); len(res.Rows) != 3 {
		t.Errorf("dtmf_by_day: %d rows, want 3 days", len(res.Rows))
	}
	weeks := map[string]bool{}
	for _, row := range run("weekly_flags").Rows {
		wk, _ := row[0].(time.Time)
		weeks[wk.Format(time.DateOnly)] = true
	}
	if len(weeks) != 3 {
		t.Errorf("weekly_flags covers %d weeks, want 3", len(weeks))
	}
}
