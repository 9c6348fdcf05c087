// Package store holds callscope's dataset: the Arrow schemas of its tables,
// the Parquet writer that appends analyses to the lake, the DuckDB views
// analysts query, and compaction.
//
// # Layout
//
// The lake lives under the data root (the --data directory):
//
//	<root>/lake/<table>/date=YYYY-MM-DD/<run-id>-<n>.parquet
//
// Every file is written to a dot-prefixed temporary name in its partition
// directory, fsynced, renamed into place and the directory fsynced, so a
// crash never leaves a partial file under a visible name. Files are never
// modified; [Compact] replaces many files of a partition by one.
//
// # Latest wins
//
// Every row carries recording_id, analyzed_at, analyzer_version and
// generation. The views opened by [Open] (calls, channels, segments,
// silences, overlaps, dtmf, qa_flags, pauses, recording_events) show only
// the latest analysis of each recording: the calls row with the greatest
// (analyzed_at, generation), and the child rows of exactly that analysis.
// Re-analyzing a recording therefore replaces it in every query. The schema
// "raw" holds the same tables with every analysis ever written
// (raw.calls, raw.segments, ...).
//
// A [Writer] writes the child tables of a flush before the calls table, so
// the calls file is the commit point: if the process dies in between, the
// orphaned child rows stay hidden behind the previous analysis.
//
// The tables and columns are a public interface (see [Tables] and
// docs/dataset.md): columns may be added, never renamed.
package store
