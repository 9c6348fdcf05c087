package duckdb_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/callscope/callscope/store"
	_ "github.com/callscope/callscope/store/duckdb"
)

func TestRegistersEngine(t *testing.T) {
	db, err := store.Open(context.Background(), t.TempDir(), store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Query(context.Background(), "SELECT count(*) AS n FROM calls")
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("query an empty lake: %v %v", res, err)
	}
}

// TestWritersDoNotLinkDuckDB guards the split: analyze and ingest write
// Parquet only and must not carry DuckDB (~30 MB of resident memory at
// start-up, which counts against analyze's 100 MiB budget).
func TestWritersDoNotLinkDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs go list")
	}
	for _, cmd := range []string{"analyze", "ingest"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/callscope/callscope/cmd/"+cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "duckdb-go") {
			t.Errorf("cmd/%s links DuckDB", cmd)
		}
	}
}
