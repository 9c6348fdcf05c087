package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// LakeFile is one visible Parquet file of the lake.
type LakeFile struct {
	Table string
	Date  string // YYYY-MM-DD, from the partition directory
	Path  string
	Size  int64
	Mod   time.Time
	Rows  int64
	// SchemaKey identifies the file's column names and types; files of a
	// table with different keys are read with union_by_name.
	SchemaKey string
}

// BadFile is a file in the lake that the views skip: not Parquet, corrupt,
// another schema, or not in a date=YYYY-MM-DD partition.
type BadFile struct {
	Path string
	Err  error
}

func (b BadFile) Error() string { return b.Path + ": " + b.Err.Error() }

// Lake is a listing of the lake's files, validated.
type Lake struct {
	Root  string
	Files map[string][]LakeFile // by table, sorted by path
	Bad   []BadFile
}

// ListLake lists and validates the Parquet files under root/lake. A file
// is good when its footer reads and its schema has every column of its
// table with a compatible type. Temporary (dot-prefixed) files are
// ignored. Validation results are cached by path, size and modification
// time for the life of the process.
func ListLake(root string) (*Lake, error) {
	// A file that vanishes between the directory read and its stat was
	// folded into a new file by a concurrent compaction, which may have
	// been renamed in after the directory was read: that listing would
	// miss both. List again until nothing vanishes (compactions swap files
	// in milliseconds).
	for attempt := 0; ; attempt++ {
		lk, vanished, err := listLake(root)
		if err != nil || !vanished || attempt == maxListAttempts-1 {
			return lk, err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
}

// maxListAttempts bounds ListLake's relisting when files vanish under it.
const maxListAttempts = 20

func listLake(root string) (*Lake, bool, error) {
	vanished := false
	lk := &Lake{Root: root, Files: map[string][]LakeFile{}}
	lake := LakeDir(root)
	// The calls table is listed first: a Writer (and Compact) writes child
	// files before the calls file that commits them, so every calls row in
	// the listing has its child rows in the (later) child listings.
	for _, t := range listOrder {
		name := t.tableName()
		tdir := filepath.Join(lake, name)
		err := filepath.WalkDir(tdir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == tdir {
					return fs.SkipDir
				}
				return err
			}
			base := d.Name()
			if d.IsDir() {
				if path != tdir && isTempName(base) {
					return fs.SkipDir
				}
				return nil
			}
			if isTempName(base) || !strings.HasSuffix(base, ".parquet") {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) { // removed by a concurrent compaction
					vanished = true
					return nil
				}
				return err
			}
			rel, _ := filepath.Rel(tdir, path)
			date, ok := partitionDate(rel)
			if !ok {
				lk.Bad = append(lk.Bad, BadFile{Path: path, Err: errors.New("not in a date=YYYY-MM-DD partition directory")})
				return nil
			}
			rows, key, verr := validateCached(t, path, fi)
			if verr != nil {
				if errors.Is(verr, fs.ErrNotExist) {
					vanished = true
					return nil
				}
				lk.Bad = append(lk.Bad, BadFile{Path: path, Err: verr})
				return nil
			}
			lk.Files[name] = append(lk.Files[name], LakeFile{Table: name, Date: date, Path: path, Size: fi.Size(), Mod: fi.ModTime(), Rows: rows, SchemaKey: key})
			return nil
		})
		if err != nil {
			return nil, false, fmt.Errorf("list lake %s: %w", tdir, err)
		}
		sort.Slice(lk.Files[name], func(i, j int) bool { return lk.Files[name][i].Path < lk.Files[name][j].Path })
	}
	return lk, vanished, nil
}

var listOrder = []tableOps{callsTable, channelsTable, segmentsTable, silencesTable, overlapsTable, dtmfTable, qaFlagsTable, pausesTable, eventsTable}

// partitionDate returns the date of rel = "date=YYYY-MM-DD/file".
func partitionDate(rel string) (string, bool) {
	dir, _ := filepath.Split(rel)
	dir = strings.TrimSuffix(dir, string(filepath.Separator))
	v, ok := strings.CutPrefix(dir, "date=")
	if !ok || strings.ContainsRune(v, filepath.Separator) {
		return "", false
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", false
	}
	return v, true
}

type validation struct {
	size int64
	mod  time.Time
	rows int64
	key  string
	err  error
}

var (
	validMu    sync.Mutex
	validCache = map[string]validation{}
)

func validateCached(t tableOps, path string, fi fs.FileInfo) (int64, string, error) {
	ck := t.tableName() + "\x00" + path
	validMu.Lock()
	v, ok := validCache[ck]
	validMu.Unlock()
	if ok && v.size == fi.Size() && v.mod.Equal(fi.ModTime()) {
		return v.rows, v.key, v.err
	}
	rows, key, err := validateFile(t, path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", err
	}
	validMu.Lock()
	if len(validCache) > 1_000_000 {
		clear(validCache)
	}
	validCache[ck] = validation{size: fi.Size(), mod: fi.ModTime(), rows: rows, key: key, err: err}
	validMu.Unlock()
	return rows, key, err
}

// validateFile reads path's Parquet footer and checks its schema against
// table t. It returns the row count and a key of the file's schema.
func validateFile(t tableOps, path string) (rows int64, key string, err error) {
	defer func() {
		if r := recover(); r != nil { // a corrupt footer must not take the process down
			rows, key, err = 0, "", fmt.Errorf("corrupt Parquet footer: %v", r)
		}
	}()
	if _, err := os.Stat(path); err != nil {
		return 0, "", err
	}
	rd, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, "", fmt.Errorf("not a readable Parquet file: %w", err)
	}
	defer rd.Close()
	md := rd.MetaData()
	sc, err := pqarrow.FromParquet(md.Schema, &pqarrow.ArrowReadProperties{}, md.KeyValueMetadata())
	if err != nil {
		return 0, "", fmt.Errorf("unsupported Parquet schema: %w", err)
	}
	if err := checkSchema(t.describe(), t.arrowSchema(), sc); err != nil {
		return 0, "", fmt.Errorf("not a %s file: %w", t.tableName(), err)
	}
	var kb strings.Builder
	for _, f := range sc.Fields() {
		kb.WriteString(f.Name + ":" + typeFamily(f.Type) + ";")
	}
	return md.NumRows, kb.String(), nil
}

// checkSchema reports whether got has every field of want with a type of
// the same family (any string encoding, any integer width, any timestamp).
// Columns added after the first schema version (Column.Added) may be
// missing.
func checkSchema(t Table, want, got *arrow.Schema) error {
	added := map[string]bool{}
	for _, c := range t.Columns {
		added[c.Name] = c.Added != ""
	}
	var problems []string
	for _, f := range want.Fields() {
		idx := got.FieldIndices(f.Name)
		if len(idx) == 0 {
			if !added[f.Name] {
				problems = append(problems, "missing column "+f.Name)
			}
			continue
		}
		g := got.Field(idx[0])
		if typeFamily(g.Type) != typeFamily(f.Type) {
			problems = append(problems, fmt.Sprintf("column %s is %s, want %s", f.Name, g.Type, f.Type))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 4 {
			problems = append(problems[:4], fmt.Sprintf("and %d more", len(problems)-4))
		}
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func typeFamily(dt arrow.DataType) string {
	switch d := dt.(type) {
	case *arrow.DictionaryType:
		return typeFamily(d.ValueType)
	case *arrow.ListType:
		return "list<" + typeFamily(d.Elem()) + ">"
	case *arrow.LargeListType:
		return "list<" + typeFamily(d.Elem()) + ">"
	case *arrow.TimestampType:
		return "timestamp"
	}
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return "string"
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return "int"
	case arrow.FLOAT32, arrow.FLOAT64:
		return "float"
	case arrow.BOOL:
		return "bool"
	}
	return dt.String()
}
