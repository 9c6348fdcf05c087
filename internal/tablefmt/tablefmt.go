// Package tablefmt renders query results as an aligned text table, CSV,
// JSON or a Markdown table: the --format flag of cmd/report.
//
// Values are those database/sql returns from DuckDB: nil (NULL), strings,
// integers, floats, bools, time.Time, []any (lists), map[string]any
// (structs), and anything with a Float64() float64 or String() string
// method (DECIMAL, HUGEINT, UUID). Timestamps are written in RFC 3339, UTC;
// columns whose type is DATE as YYYY-MM-DD.
//
// JSON is one array of objects keyed by column name, in column order;
// NULL, NaN and infinities are null, lists are arrays. CSV follows RFC 4180
// with a header row; NULL is the empty field and lists are JSON arrays.
// Table and Markdown show NULL as "NULL" and round floats to 6 significant
// digits.
package tablefmt

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Format is an output format.
type Format string

// The formats.
const (
	Table    Format = "table"
	CSV      Format = "csv"
	JSON     Format = "json"
	Markdown Format = "markdown"
)

// Formats lists the formats, for help texts.
var Formats = []Format{Table, CSV, JSON, Markdown}

// ParseFormat parses a format name ("md" is accepted for markdown).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "table", "":
		return Table, nil
	case "csv":
		return CSV, nil
	case "json":
		return JSON, nil
	case "markdown", "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q: want table, csv, json or markdown", s)
}

// Data is a result to render.
type Data struct {
	Columns []string
	Types   []string // database type names; "DATE" selects date formatting. May be nil.
	Rows    [][]any
}

// Write renders d to w in format f.
func Write(w io.Writer, f Format, d Data) error {
	switch f {
	case CSV:
		return writeCSV(w, d)
	case JSON:
		return writeJSON(w, d)
	case Markdown:
		return writeMarkdown(w, d)
	default:
		return writeTable(w, d)
	}
}

func (d Data) typ(i int) string {
	if i < len(d.Types) {
		return d.Types[i]
	}
	return ""
}

// JSONValue converts a value to what encoding/json should marshal.
func JSONValue(v any, typ string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return formatTime(x, typ)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return JSONValue(float64(x), typ)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = JSONValue(e, elemType(typ))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = JSONValue(e, "")
		}
		return out
	case string, bool, int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, json.Marshaler:
		return x
	case []byte:
		return string(x)
	case interface{ Float64() float64 }:
		return JSONValue(x.Float64(), typ)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func elemType(typ string) string { return strings.TrimSuffix(typ, "[]") }

func formatTime(t time.Time, typ string) string {
	if typ == "DATE" {
		return t.UTC().Format(time.DateOnly)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// text renders a value for table, markdown (round=true) and CSV cells.
func text(v any, typ string, round bool) string {
	switch x := v.(type) {
	case nil:
		if round {
			return "NULL"
		}
		return ""
	case string:
		return x
	case time.Time:
		return formatTime(x, typ)
	case float64:
		return formatFloat(x, round)
	case float32:
		return formatFloat(float64(x), round)
	case bool:
		return strconv.FormatBool(x)
	case []any, map[string]any:
		if round {
			return compact(x, typ)
		}
		b, _ := json.Marshal(JSONValue(x, typ))
		return string(b)
	case []byte:
		return string(x)
	case interface{ Float64() float64 }:
		if s, ok := v.(fmt.Stringer); ok && !round {
			return s.String()
		}
		return formatFloat(x.Float64(), round)
	}
	return fmt.Sprint(v)
}

// compact renders a list or struct for a table cell: [a, b] and {k: v}.
func compact(v any, typ string) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = compact(e, elemType(typ))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + compact(x[k], "")
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return text(v, typ, true)
}

func formatFloat(f float64, round bool) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	if round {
		r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 6, 64), 64)
		if err == nil {
			f = r
		}
		if f == 0 {
			f = 0 // no "-0"
		}
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func numeric(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, *big.Int, interface{ Float64() float64 }:
		return true
	}
	return false
}

func writeCSV(w io.Writer, d Data) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(d.Columns); err != nil {
		return err
	}
	rec := make([]string, len(d.Columns))
	for _, r := range d.Rows {
		for i := range rec {
			rec[i] = text(r[i], d.typ(i), false)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, d Data) error {
	var buf bytes.Buffer
	if len(d.Rows) == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	buf.WriteString("[\n")
	keys := make([][]byte, len(d.Columns))
	for i, c := range d.Columns {
		keys[i], _ = json.Marshal(c)
	}
	for n, r := range d.Rows {
		buf.WriteByte('{')
		for i := range d.Columns {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(keys[i])
			buf.WriteByte(':')
			b, err := json.Marshal(JSONValue(r[i], d.typ(i)))
			if err != nil {
				return fmt.Errorf("column %s: %w", d.Columns[i], err)
			}
			buf.Write(b)
		}
		buf.WriteByte('}')
		if n < len(d.Rows)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		if buf.Len() > 1<<16 {
			if _, err := w.Write(buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
		}
	}
	buf.WriteString("]\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// cells renders d for table and markdown, and which columns are numeric.
func cells(d Data, escape func(string) string) ([][]string, []bool) {
	out := make([][]string, 0, len(d.Rows)+1)
	hdr := make([]string, len(d.Columns))
	for i, c := range d.Columns {
		hdr[i] = escape(c)
	}
	out = append(out, hdr)
	num := make([]bool, len(d.Columns))
	for i := range num {
		num[i] = len(d.Rows) > 0
	}
	for _, r := range d.Rows {
		row := make([]string, len(d.Columns))
		for i := range row {
			row[i] = escape(text(r[i], d.typ(i), true))
			if r[i] != nil && !numeric(r[i]) {
				num[i] = false
			}
		}
		out = append(out, row)
	}
	return out, num
}

func widths(cs [][]string) []int {
	if len(cs) == 0 {
		return nil
	}
	w := make([]int, len(cs[0]))
	for _, r := range cs {
		for i, c := range r {
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	return w
}

func pad(s string, w int, right bool) string {
	n := w - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
}

func writeTable(w io.Writer, d Data) error {
	cs, num := cells(d, oneLine)
	ws := widths(cs)
	bw := bufio.NewWriter(w)
	var line strings.Builder
	for n, r := range cs {
		line.Reset()
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			line.WriteString(pad(c, ws[i], num[i] && n > 0))
		}
		bw.WriteString(strings.TrimRight(line.String(), " "))
		bw.WriteByte('\n')
		if n == 0 {
			line.Reset()
			for i := range r {
				if i > 0 {
					line.WriteString("  ")
				}
				line.WriteString(strings.Repeat("-", ws[i]))
			}
			bw.WriteString(line.String())
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

func writeMarkdown(w io.Writer, d Data) error {
	esc := func(s string) string {
		return strings.ReplaceAll(oneLine(strings.ReplaceAll(s, `\`, `\\`)), "|", `\|`)
	}
	cs, num := cells(d, esc)
	bw := bufio.NewWriter(w)
	for n, r := range cs {
		bw.WriteString("|")
		for _, c := range r {
			bw.WriteString(" " + c + " |")
		}
		bw.WriteByte('\n')
		if n == 0 {
			bw.WriteString("|")
			for i := range r {
				if num[i] {
					bw.WriteString("---:|")
				} else {
					bw.WriteString("---|")
				}
			}
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// Object is a JSON object whose keys keep their order.
type Object struct {
	Keys   []string
	Values []any
}

// Set appends a key and its value.
func (o *Object) Set(k string, v any) {
	o.Keys = append(o.Keys, k)
	o.Values = append(o.Values, v)
}

// MarshalJSON writes the object with its keys in order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.Keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.Values[i])
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k, err)
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Objects converts d's rows to JSON objects keyed by column name.
func Objects(d Data) []Object {
	out := make([]Object, len(d.Rows))
	for n, r := range d.Rows {
		o := Object{Keys: d.Columns, Values: make([]any, len(r))}
		for i, v := range r {
			o.Values[i] = JSONValue(v, d.typ(i))
		}
		out[n] = o
	}
	return out
}
