package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Parquet key-value metadata keys written to every file.
const (
	MetaSchemaVersion   = "callscope.schema_version"
	MetaTable           = "callscope.table"
	MetaMetricsVersion  = "callscope.metrics_version"
	MetaAnalyzerVersion = "callscope.analyzer_version"
	MetaRunID           = "callscope.run_id"
)

// LakeDir returns the lake directory under a data root.
func LakeDir(root string) string { return filepath.Join(root, "lake") }

// partitionDir returns root/lake/<table>/date=YYYY-MM-DD.
func partitionDir(root, table, date string) string {
	return filepath.Join(LakeDir(root), table, "date="+date)
}

// tempPrefix starts every temporary file name; the views ignore
// dot-prefixed names.
const tempPrefix = "."

// writeParquet writes the records recs, then the batches of rows produced
// by next (nil, nil at the end; next may be nil), into dir/name atomically: a temporary file in dir, fsync, rename, fsync
// of dir. On any error the temporary file is removed and nothing is visible.
//
// meta is called after the last batch; its entries go to the file's
// key-value metadata.
func writeParquet[R any](ctx context.Context, t *tableDef[R], dir, name string, rowGroupRows int, meta func() map[string]string, recs []arrow.RecordBatch, next func() ([]R, error)) (err error) {
	if err := mkdirAllSync(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tempPrefix+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()

	schema := t.schema
	popts := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		// zstd level 1: most of the ratio of the default level at a
		// fraction of the CPU (analyze must stay cheap).
		parquet.WithCompressionLevel(1),
		parquet.WithMaxRowGroupLength(int64(rowGroupRows)),
		parquet.WithStats(true),
		// Dictionary pages for strings only (recording ids repeat in child
		// tables; kinds and versions are low-cardinality); numbers are
		// left to zstd, which is cheaper than hashing every float.
		parquet.WithDictionaryDefault(false),
		parquet.WithCreatedBy("callscope store (arrow-go parquet)"),
	}
	for _, c := range t.cols {
		if c.Type == "VARCHAR" || c.Type == "VARCHAR[]" {
			popts = append(popts, parquet.WithDictionaryFor(c.Name, true))
		}
	}
	props := parquet.NewWriterProperties(popts...)
	bw := bufio.NewWriterSize(f, 256<<10)
	// The writer gets no io.Closer so that f stays open for the fsync.
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{bw}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("parquet writer for %s: %w", name, err)
	}
	mem := memory.DefaultAllocator
	builders := make([]array.Builder, len(t.cols))
	for i, c := range t.cols {
		builders[i] = array.NewBuilder(mem, c.arrow)
	}
	defer func() {
		for _, b := range builders {
			b.Release()
		}
	}()
	for _, rec := range recs {
		if err := ctx.Err(); err != nil {
			fw.Close()
			return err
		}
		if err := fw.Write(rec); err != nil {
			fw.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	for next != nil {
		if err := ctx.Err(); err != nil {
			fw.Close()
			return err
		}
		rows, err := next()
		if err != nil {
			fw.Close()
			return err
		}
		if rows == nil {
			break
		}
		for off := 0; off < len(rows); off += rowGroupRows {
			end := min(off+rowGroupRows, len(rows))
			if err := writeBatch(fw, schema, t, builders, rows[off:end]); err != nil {
				fw.Close()
				return fmt.Errorf("write %s: %w", name, err)
			}
		}
	}
	kv := meta()
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fw.AppendKeyValueMetadata(k, kv[k]); err != nil {
			fw.Close()
			return fmt.Errorf("parquet metadata: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("close parquet %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	final := filepath.Join(dir, name)
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return nil
}

func writeBatch[R any](fw *pqarrow.FileWriter, schema *arrow.Schema, t *tableDef[R], builders []array.Builder, rows []R) error {
	cols := make([]arrow.Array, len(builders))
	for i, c := range t.cols {
		b := builders[i]
		b.Reserve(len(rows))
		for j := range rows {
			c.put(b, &rows[j])
		}
		cols[i] = b.NewArray()
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	return fw.Write(rec)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for fsync: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// mkdirAllSync creates dir and its missing parents, fsyncing the parent of
// every directory it creates so the new entries survive a crash.
func mkdirAllSync(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSync(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create directory: %w", err)
	}
	return syncDir(parent)
}

// isTempName reports whether a lake file name is a temporary (in-flight or
// abandoned) file.
func isTempName(name string) bool { return strings.HasPrefix(name, tempPrefix) }
