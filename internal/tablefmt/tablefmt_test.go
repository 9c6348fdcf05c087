package tablefmt

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

var tenth = 0.1

var ts = time.Date(2026, 11, 20, 9, 30, 0, 123456000, time.FixedZone("X", 3600))

func sample() Data {
	return Data{
		Columns: []string{"id", "day", "at", "score", "flags", "n", "ok", "s"},
		Types:   []string{"VARCHAR", "DATE", "TIMESTAMP WITH TIME ZONE", "DOUBLE", "VARCHAR[]", "HUGEINT", "BOOLEAN", "STRUCT(a INTEGER)"},
		Rows: [][]any{
			{"a|b\nc", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), ts, tenth + 0.2, []any{"x", nil}, big.NewInt(12345678901234), true, map[string]any{"a": int32(1)}},
			{nil, nil, nil, math.NaN(), []any{}, nil, false, nil},
		},
	}
}

func render(t *testing.T, f Format, d Data) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestFormats(t *testing.T) {
	for _, tt := range []struct {
		Name   string
		Format Format
		Output string
	}{
		{"json", JSON, `[
{"id":"a|b\nc","day":"2026-11-20","at":"2026-11-20T08:30:00.123456Z","score":0.30000000000000004,"flags":["x",null],"n":12345678901234,"ok":true,"s":{"a":1}},
{"id":null,"day":null,"at":null,"score":null,"flags":[],"n":null,"ok":false,"s":null}
]
`},
		{"csv", CSV, `id,day,at,score,flags,n,ok,s
"a|b
c",2026-11-20,2026-11-20T08:30:00.123456Z,0.30000000000000004,"[""x"",null]",12345678901234,true,"{""a"":1}"
,,,NaN,[],,false,
`},
		{"table", Table, `id      day         at                           score  flags      n               ok     s
------  ----------  ---------------------------  -----  ---------  --------------  -----  ------
a|b\nc  2026-11-20  2026-11-20T08:30:00.123456Z    0.3  [x, NULL]  12345678901234  true   {a: 1}
NULL    NULL        NULL                           NaN  []                   NULL  false  NULL
`},
		{"markdown", Markdown, `| id | day | at | score | flags | n | ok | s |
|---|---|---|---:|---|---:|---|---|
| a\|b\nc | 2026-11-20 | 2026-11-20T08:30:00.123456Z | 0.3 | [x, NULL] | 12345678901234 | true | {a: 1} |
| NULL | NULL | NULL | NaN | [] | NULL | false | NULL |
`},
	} {
		t.Run(tt.Name, func(t *testing.T) {
			if got := render(t, tt.Format, sample()); got != tt.Output {
				t.Errorf("got\n%s\nwant\n%s", got, tt.Output)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	d := Data{Columns: []string{"a", "b"}}
	for f, want := range map[Format]string{JSON: "[]\n", CSV: "a,b\n", Table: "a  b\n-  -\n", Markdown: "| a | b |\n|---|---|\n"} {
		if got := render(t, f, d); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Table, "TABLE": Table, "csv": CSV, "json": JSON, "md": Markdown, "markdown": Markdown} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("xml: %v", err)
	}
}

func TestObject(t *testing.T) {
	var o Object
	o.Set("z", 1)
	o.Set("a", []Object{{Keys: []string{"k"}, Values: []any{nil}}})
	b, err := json.Marshal([]any{o})
	if err != nil || string(b) != `[{"z":1,"a":[{"k":null}]}]` {
		t.Errorf("%s, %v", b, err)
	}
}

// FuzzWrite checks that any strings survive CSV and JSON exactly, and that
// table and markdown output keep one line per row.
func FuzzWrite(f *testing.F) {
	f.Add("plain", "a,b", 1.5)
	f.Add("line\nbreak", "quote\"s", math.Inf(1))
	f.Add("pipe|\\", "\r\n", math.Copysign(0, -1))
	f.Add("\xff\xfe", "", math.NaN())
	f.Fuzz(func(t *testing.T, a, b string, x float64) {
		d := Data{Columns: []string{"a", "b", "x"}, Rows: [][]any{{a, b, x}, {b, nil, a}}}
		var buf bytes.Buffer
		if err := Write(&buf, CSV, d); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not parse: %v", err)
		}
		// encoding/csv turns \r\n into \n inside quoted fields.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		if len(recs) != 3 || norm(recs[1][0]) != norm(a) || norm(recs[1][1]) != norm(b) || norm(recs[2][2]) != norm(a) {
			t.Errorf("CSV round trip: %q", recs)
		}
		buf.Reset()
		if err := Write(&buf, JSON, d); err != nil {
			t.Fatal(err)
		}
		var objs []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &objs); err != nil {
			t.Fatalf("JSON does not parse: %v\n%s", err, buf.Bytes())
		}
		if len(objs) != 2 || objs[1]["b"] != nil {
			t.Errorf("JSON round trip: %v", objs)
		}
		if strings.ToValidUTF8(a, "\uFFFD") == a && objs[0]["a"] != a {
			t.Errorf("JSON a = %q, want %q", objs[0]["a"], a)
		}
		for _, f := range []Format{Table, Markdown} {
			buf.Reset()
			if err := Write(&buf, f, d); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n != 4 {
				t.Errorf("%s: %d lines, want 4:\n%s", f, n, buf.String())
			}
		}
	})
}
