package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// SchemaVersion versions the dataset layout and table schemas. It is
// written to every Parquet file's key-value metadata. Adding a column bumps
// it; renaming one is not allowed.
const SchemaVersion = "1"

// Table describes one table of the dataset.
type Table struct {
	Name    string
	Grain   string // what one row is
	Columns []Column
}

// Column describes one column: its name, its DuckDB type as analysts see it
// in the views, whether it may be NULL, and what it means.
type Column struct {
	Name     string
	Type     string // DuckDB type: VARCHAR, DOUBLE, INTEGER, BOOLEAN, TIMESTAMPTZ, DATE, VARCHAR[]
	Nullable bool
	Desc     string
	// Partition is true for the hive partition key (date): it is part of
	// the directory name, not of the files.
	Partition bool
	// Added is the SchemaVersion that added the column, "" for the
	// original columns. Files written before it lack the column; they stay
	// valid and the views show NULL there. Set it on every new column.
	Added string
}

// Arrow types used by the schemas.
var (
	tsType   = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	listType = arrow.ListOf(arrow.BinaryTypes.String)
)

// colDef is a column of a table whose rows are R: its description and a
// pointer accessor used both to build Arrow arrays and to scan rows back.
type colDef[R any] struct {
	Column
	arrow arrow.DataType
	put   func(b array.Builder, r *R)
	set   func(r *R, v any) error
}

func strCol[R any](name, desc string, f func(*R) *string) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "VARCHAR", Desc: desc},
		arrow:  arrow.BinaryTypes.String,
		put:    func(b array.Builder, r *R) { b.(*array.StringBuilder).Append(*f(r)) },
		set:    func(r *R, v any) error { return setString(f(r), v) },
	}
}

func dictCol[R any](name, desc string, f func(*R) *string) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "VARCHAR", Desc: desc + " (dictionary-encoded)"},
		arrow:  dictType,
		put: func(b array.Builder, r *R) {
			// AppendString only fails on a type mismatch, impossible here.
			_ = b.(*array.BinaryDictionaryBuilder).AppendString(*f(r))
		},
		set: func(r *R, v any) error { return setString(f(r), v) },
	}
}

func f64Col[R any](name, desc string, f func(*R) *float64) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "DOUBLE", Desc: desc},
		arrow:  arrow.PrimitiveTypes.Float64,
		put:    func(b array.Builder, r *R) { b.(*array.Float64Builder).Append(*f(r)) },
		set:    func(r *R, v any) error { return setFloat(f(r), v) },
	}
}

func intCol[R any](name, desc string, f func(*R) *int) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "INTEGER", Desc: desc},
		arrow:  arrow.PrimitiveTypes.Int32,
		put:    func(b array.Builder, r *R) { b.(*array.Int32Builder).Append(int32(*f(r))) },
		set:    func(r *R, v any) error { return setInt(f(r), v) },
	}
}

func boolCol[R any](name, desc string, f func(*R) *bool) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "BOOLEAN", Desc: desc},
		arrow:  arrow.FixedWidthTypes.Boolean,
		put:    func(b array.Builder, r *R) { b.(*array.BooleanBuilder).Append(*f(r)) },
		set: func(r *R, v any) error {
			x, ok := v.(bool)
			if !ok && v != nil {
				return fmt.Errorf("want BOOLEAN, got %T", v)
			}
			*f(r) = x
			return nil
		},
	}
}

func timeCol[R any](name, desc string, f func(*R) *time.Time) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "TIMESTAMPTZ", Desc: desc},
		arrow:  tsType,
		put: func(b array.Builder, r *R) {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(f(r).UnixMicro()))
		},
		set: func(r *R, v any) error {
			x, ok := v.(time.Time)
			if !ok && v != nil {
				return fmt.Errorf("want TIMESTAMPTZ, got %T", v)
			}
			*f(r) = x.UTC()
			return nil
		},
	}
}

func listCol[R any](name, desc string, f func(*R) *[]string) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "VARCHAR[]", Desc: desc},
		arrow:  listType,
		put: func(b array.Builder, r *R) {
			lb := b.(*array.ListBuilder)
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			for _, s := range *f(r) {
				vb.Append(s)
			}
		},
		set: func(r *R, v any) error {
			if v == nil {
				*f(r) = nil
				return nil
			}
			xs, ok := v.([]any)
			if !ok {
				return fmt.Errorf("want VARCHAR[], got %T", v)
			}
			out := make([]string, 0, len(xs))
			for _, x := range xs {
				s, _ := x.(string)
				out = append(out, s)
			}
			*f(r) = out
			return nil
		},
	}
}

func optIntCol[R any](name, desc string, f func(*R) **int) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "INTEGER", Nullable: true, Desc: desc},
		arrow:  arrow.PrimitiveTypes.Int32,
		put: func(b array.Builder, r *R) {
			if p := *f(r); p != nil {
				b.(*array.Int32Builder).Append(int32(*p))
			} else {
				b.AppendNull()
			}
		},
		set: func(r *R, v any) error {
			if v == nil {
				*f(r) = nil
				return nil
			}
			var x int
			if err := setInt(&x, v); err != nil {
				return err
			}
			*f(r) = &x
			return nil
		},
	}
}

func optF64Col[R any](name, desc string, f func(*R) **float64) colDef[R] {
	return colDef[R]{
		Column: Column{Name: name, Type: "DOUBLE", Nullable: true, Desc: desc},
		arrow:  arrow.PrimitiveTypes.Float64,
		put: func(b array.Builder, r *R) {
			if p := *f(r); p != nil {
				b.(*array.Float64Builder).Append(*p)
			} else {
				b.AppendNull()
			}
		},
		set: func(r *R, v any) error {
			if v == nil {
				*f(r) = nil
				return nil
			}
			var x float64
			if err := setFloat(&x, v); err != nil {
				return err
			}
			*f(r) = &x
			return nil
		},
	}
}

func setString(p *string, v any) error {
	switch x := v.(type) {
	case string:
		*p = x
	case nil:
		*p = ""
	default:
		return fmt.Errorf("want VARCHAR, got %T", v)
	}
	return nil
}

func setFloat(p *float64, v any) error {
	switch x := v.(type) {
	case nil: // a column missing from an older file
		*p = 0
	case float64:
		*p = x
	case float32:
		*p = float64(x)
	default:
		return fmt.Errorf("want DOUBLE, got %T", v)
	}
	return nil
}

func setInt(p *int, v any) error {
	switch x := v.(type) {
	case nil:
		*p = 0
	case int32:
		*p = int(x)
	case int64:
		*p = int(x)
	case int:
		*p = x
	case int16:
		*p = int(x)
	case int8:
		*p = int(x)
	default:
		return fmt.Errorf("want INTEGER, got %T", v)
	}
	return nil
}

// tableDef is a table whose rows are R.
type tableDef[R any] struct {
	name, grain string
	cols        []colDef[R]
	// partition returns the row's partition date (UTC).
	schema *arrow.Schema
	// versions returns a row's metrics and analyzer versions for the file
	// metadata.
	versions func(r *R) (metrics, analyzer string)
}

func newTableDef[R any](name, grain string, cols []colDef[R]) *tableDef[R] {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.arrow, Nullable: c.Nullable}
	}
	return &tableDef[R]{name: name, grain: grain, cols: cols, schema: arrow.NewSchema(fields, nil)}
}

func (t *tableDef[R]) describe() Table {
	cols := make([]Column, 0, len(t.cols)+1)
	for _, c := range t.cols {
		cols = append(cols, c.Column)
	}
	desc := "hive partition key (directory date=YYYY-MM-DD): UTC date of the call's start_time"
	if t.name == "recording_events" {
		desc = "hive partition key (directory date=YYYY-MM-DD): UTC date of the event's time"
	}
	cols = append(cols, Column{Name: "date", Type: "DATE", Partition: true, Desc: desc})
	return Table{Name: t.name, Grain: t.grain, Columns: cols}
}

// Column descriptions shared by several tables.
const (
	descRecordingID     = "ACS recordingId: the recording this row belongs to"
	descAnalyzedAt      = "when the analysis that produced this row ran (UTC); the latest per recording_id wins in the views"
	descAnalyzerVersion = "version of the callscope analyzer that wrote the row"
	descGeneration      = "0 when written by analyze; incremented each time report compact rewrites the row (tie-breaker for latest-wins)"
	descStartTime       = "wall-clock time (UTC) of start_s, pauses accounted for"
)

func commonVersions[R any](f func(*R) *common) func(*R) (string, string) {
	return func(r *R) (string, string) { c := f(r); return c.metricsVersion, c.analyzerVersion }
}

func commonCols[R any](f func(*R) *common) []colDef[R] {
	return []colDef[R]{
		dictCol("analyzer_version", descAnalyzerVersion, func(r *R) *string { return &f(r).analyzerVersion }),
		timeCol("analyzed_at", descAnalyzedAt, func(r *R) *time.Time { return &f(r).analyzedAt }),
		intCol("generation", descGeneration, func(r *R) *int { return &f(r).generation }),
	}
}

func withRecording[R any](f func(*R) *common, cols ...colDef[R]) []colDef[R] {
	out := []colDef[R]{strCol("recording_id", descRecordingID, func(r *R) *string { return &f(r).recordingID })}
	out = append(out, cols...)
	return append(out, commonCols(f)...)
}

func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var callsTable = newTableDef("calls", "one per analyzed recording", []colDef[Call]{
	strCol("recording_id", descRecordingID, func(r *Call) *string { return &r.RecordingID }),
	strCol("call_id", "ACS callId (the call's correlation id as seen in the recording metadata)", func(r *Call) *string { return &r.CallID }),
	strCol("server_call_id", "ACS serverCallId", func(r *Call) *string { return &r.ServerCallID }),
	strCol("correlation_id", "ACS correlationId of the call", func(r *Call) *string { return &r.CorrelationID }),
	timeCol("start_time", "wall-clock start of the recording's audio (UTC, µs)", func(r *Call) *time.Time { return &r.StartTime }),
	timeCol("end_time", "wall-clock end of the recording's audio (UTC, µs), pauses included", func(r *Call) *time.Time { return &r.EndTime }),
	f64Col("recorded_s", "seconds of recorded audio (chunks concatenated, paused spans excluded)", func(r *Call) *float64 { return &r.RecordedS }),
	f64Col("paused_s", "seconds the recording was paused (not in the audio)", func(r *Call) *float64 { return &r.PausedS }),
	intCol("chunks", "number of recording chunks", func(r *Call) *int { return &r.Chunks }),
	intCol("channels", "number of audio channels (one participant each)", func(r *Call) *int { return &r.Channels }),
	intCol("sample_rate", "audio sample rate in Hz", func(r *Call) *int { return &r.SampleRate }),
	f64Col("talk_s", "seconds in which someone talks (union over channels)", func(r *Call) *float64 { return &r.TalkS }),
	f64Col("talk_sum_s", "sum over channels of talk seconds (overlap counted per talker)", func(r *Call) *float64 { return &r.TalkSumS }),
	f64Col("silence_s", "seconds in which no channel talks (pauses excluded)", func(r *Call) *float64 { return &r.SilenceS }),
	f64Col("non_talk_s", "total seconds of silences of at least non_talk_min (3 s)", func(r *Call) *float64 { return &r.NonTalkS }),
	intCol("dead_air_count", "number of silences of at least dead_air_min (10 s)", func(r *Call) *int { return &r.DeadAirCount }),
	f64Col("dead_air_s", "total seconds of dead-air silences", func(r *Call) *float64 { return &r.DeadAirS }),
	f64Col("longest_silence_s", "longest mutual silence in seconds", func(r *Call) *float64 { return &r.LongestSilenceS }),
	f64Col("overlap_s", "seconds in which two or more channels talk", func(r *Call) *float64 { return &r.OverlapS }),
	intCol("overlap_count", "overlap events of at least min_overlap (200 ms)", func(r *Call) *int { return &r.OverlapCount }),
	intCol("interruptions", "overlap events classified as interruptions", func(r *Call) *int { return &r.Interruptions }),
	intCol("turns", "changes of the sole talker", func(r *Call) *int { return &r.Turns }),
	intCol("dtmf_count", "DTMF digits detected", func(r *Call) *int { return &r.DTMFCount }),
	f64Col("qa_score", "QA score (0-100, higher is better)", func(r *Call) *float64 { return &r.QAScore }),
	listCol("qa_flags", "names of the QA flags raised (details in qa_flags)", func(r *Call) *[]string { return &r.QAFlags }),
	dictCol("metrics_version", "version of the metric definitions (design §5)", func(r *Call) *string { return &r.MetricsVersion }),
	dictCol("analyzer_version", descAnalyzerVersion, func(r *Call) *string { return &r.AnalyzerVersion }),
	timeCol("analyzed_at", descAnalyzedAt, func(r *Call) *time.Time { return &r.AnalyzedAt }),
	dictCol("source", "where the recording came from: acs, blob, file", func(r *Call) *string { return &r.Source }),
	intCol("generation", descGeneration, func(r *Call) *int { return &r.Generation }),
})

var channelsTable = newTableDef("channels", "one per audio channel of a recording", withRecording(func(r *Channel) *common { return &r.common },
	intCol("channel", "audio channel (0-based)", func(r *Channel) *int { return &r.Channel }),
	strCol("participant_id", "raw CommunicationIdentifier of the channel's participant", func(r *Channel) *string { return &r.ParticipantID }),
	dictCol("participant_kind", "identifier kind: phoneNumber, communicationUser, microsoftTeamsUser, ...", func(r *Channel) *string { return &r.ParticipantKind }),
	dictCol("role", "participant role (agent, customer, ...) or empty", func(r *Channel) *string { return &r.Role }),
	f64Col("talk_s", "seconds this participant talks", func(r *Channel) *float64 { return &r.TalkS }),
	f64Col("talk_share", "talk_s / recorded duration", func(r *Channel) *float64 { return &r.TalkShare }),
	f64Col("speech_share", "talk_s / call talk_sum_s", func(r *Channel) *float64 { return &r.SpeechShare }),
	intCol("segments", "number of speech segments", func(r *Channel) *int { return &r.Segments }),
	f64Col("longest_monologue_s", "longest stretch talking with no other talker taking a turn", func(r *Channel) *float64 { return &r.LongestMonologueS }),
	intCol("interruptions_made", "interruptions by this channel", func(r *Channel) *int { return &r.InterruptionsMade }),
	intCol("interrupted", "times this channel was interrupted", func(r *Channel) *int { return &r.Interrupted }),
	intCol("backchannels", "backchannels (uh-huh) by this channel", func(r *Channel) *int { return &r.Backchannels }),
	f64Col("speech_level_dbfs", "ITU-T P.56 active speech level, dBFS", func(r *Channel) *float64 { return &r.SpeechLevelDBFS }),
	f64Col("activity_factor", "ITU-T P.56 activity factor (0-1)", func(r *Channel) *float64 { return &r.ActivityFactor }),
	f64Col("noise_floor_dbfs", "noise floor (low percentile of 10 ms frame energy), dBFS", func(r *Channel) *float64 { return &r.NoiseFloorDBFS }),
	f64Col("snr_db", "speech_level_dbfs - noise_floor_dbfs", func(r *Channel) *float64 { return &r.SNRDB }),
	f64Col("peak_dbfs", "peak sample level, dBFS", func(r *Channel) *float64 { return &r.PeakDBFS }),
	f64Col("clipped_ratio", "share of samples at or within 1 LSB of full scale", func(r *Channel) *float64 { return &r.ClippedRatio }),
	f64Col("dc_offset", "mean sample value in full-scale units (-1..1)", func(r *Channel) *float64 { return &r.DCOffset }),
	intCol("dtmf_count", "DTMF digits detected on this channel", func(r *Channel) *int { return &r.DTMFCount }),
	boolCol("one_way", "true when the participant never talks while others do and the level is at the noise floor", func(r *Channel) *bool { return &r.OneWay }),
))

var segmentsTable = newTableDef("segments", "one per speech segment", withRecording(func(r *Segment) *common { return &r.common },
	intCol("channel", "audio channel of the talker", func(r *Segment) *int { return &r.Channel }),
	f64Col("start_s", "start, seconds into the recorded audio", func(r *Segment) *float64 { return &r.StartS }),
	f64Col("end_s", "end, seconds into the recorded audio", func(r *Segment) *float64 { return &r.EndS }),
	timeCol("start_time", descStartTime, func(r *Segment) *time.Time { return &r.StartTime }),
))

var silencesTable = newTableDef("silences", "one per mutual-silence gap of at least 1 s", withRecording(func(r *Silence) *common { return &r.common },
	f64Col("start_s", "start, seconds into the recorded audio", func(r *Silence) *float64 { return &r.StartS }),
	f64Col("end_s", "end, seconds into the recorded audio", func(r *Silence) *float64 { return &r.EndS }),
	f64Col("duration_s", "end_s - start_s", func(r *Silence) *float64 { return &r.DurationS }),
	dictCol("kind", "gap (≥ 1 s), non_talk (≥ 3 s) or dead_air (≥ 10 s)", func(r *Silence) *string { return &r.Kind }),
	timeCol("start_time", descStartTime, func(r *Silence) *time.Time { return &r.StartTime }),
))

var overlapsTable = newTableDef("overlaps", "one per overlap event (two or more channels talking)", withRecording(func(r *Overlap) *common { return &r.common },
	f64Col("start_s", "start, seconds into the recorded audio", func(r *Overlap) *float64 { return &r.StartS }),
	f64Col("end_s", "end, seconds into the recorded audio", func(r *Overlap) *float64 { return &r.EndS }),
	dictCol("kind", "interruption, overtalk or backchannel", func(r *Overlap) *string { return &r.Kind }),
	intCol("by_channel", "channel that started talking last (interrupter, back-channeller)", func(r *Overlap) *int { return &r.ByChannel }),
	intCol("of_channel", "channel that was already talking", func(r *Overlap) *int { return &r.OfChannel }),
	timeCol("start_time", descStartTime, func(r *Overlap) *time.Time { return &r.StartTime }),
))

var dtmfTable = newTableDef("dtmf", "one per detected DTMF digit", withRecording(func(r *DTMF) *common { return &r.common },
	intCol("channel", "audio channel the tone is strongest on", func(r *DTMF) *int { return &r.Channel }),
	intCol("seq", "0-based order of the digit within the recording", func(r *DTMF) *int { return &r.Seq }),
	strCol("digit", "the digit, masked (*) unless the operator opted in to raw digits", func(r *DTMF) *string { return &r.Digit }),
	f64Col("start_s", "tone start, seconds into the recorded audio", func(r *DTMF) *float64 { return &r.StartS }),
	f64Col("end_s", "tone end, seconds into the recorded audio", func(r *DTMF) *float64 { return &r.EndS }),
	f64Col("level_dbm0", "tone level in dBm0 (full-scale sine = +3.14 dBm0)", func(r *DTMF) *float64 { return &r.LevelDBm0 }),
	timeCol("start_time", descStartTime, func(r *DTMF) *time.Time { return &r.StartTime }),
))

var qaFlagsTable = newTableDef("qa_flags", "one per raised QA flag", withRecording(func(r *QAFlag) *common { return &r.common },
	dictCol("flag", "flag name (dead_air, one_way_audio, ...)", func(r *QAFlag) *string { return &r.Flag }),
	dictCol("severity", "info, warning or critical", func(r *QAFlag) *string { return &r.Severity }),
	optIntCol("channel", "channel the flag concerns; NULL for call-level flags", func(r *QAFlag) **int { return &r.Channel }),
	f64Col("value", "the measured value that raised the flag", func(r *QAFlag) *float64 { return &r.Value }),
	f64Col("threshold", "the threshold it was compared with", func(r *QAFlag) *float64 { return &r.Threshold }),
	optF64Col("start_s", "where in the audio (seconds), NULL when the flag has no position", func(r *QAFlag) **float64 { return &r.StartS }),
	strCol("detail", "human-readable explanation", func(r *QAFlag) *string { return &r.Detail }),
))

var pausesTable = newTableDef("pauses", "one per paused span of a recording (audio cut out)", withRecording(func(r *Pause) *common { return &r.common },
	f64Col("offset_s", "audio offset (seconds) at which the audio jumps over the pause", func(r *Pause) *float64 { return &r.OffsetS }),
	f64Col("duration_s", "wall-clock seconds not recorded", func(r *Pause) *float64 { return &r.DurationS }),
	timeCol("start_time", "wall-clock time the recording was paused (UTC)", func(r *Pause) *time.Time { return &r.StartTime }),
))

var eventsTable = newTableDef("recording_events", "one per recording control action or state change", []colDef[RecordingEvent]{
	timeCol("time", "when the event happened (UTC)", func(r *RecordingEvent) *time.Time { return &r.Time }),
	strCol("recording_id", "ACS recordingId, or empty before the recording exists", func(r *RecordingEvent) *string { return &r.RecordingID }),
	strCol("server_call_id", "ACS serverCallId", func(r *RecordingEvent) *string { return &r.ServerCallID }),
	strCol("correlation_id", "ACS correlationId", func(r *RecordingEvent) *string { return &r.CorrelationID }),
	dictCol("event", "event type (Event Grid / callback type, or a manual command)", func(r *RecordingEvent) *string { return &r.Event }),
	dictCol("action", "recording action taken: start, pause, resume, stop, or empty", func(r *RecordingEvent) *string { return &r.Action }),
	strCol("rule", "name of the business rule that decided the action, or empty", func(r *RecordingEvent) *string { return &r.Rule }),
	dictCol("outcome", "result: ok, failed, skipped, ...", func(r *RecordingEvent) *string { return &r.Outcome }),
	strCol("detail", "human-readable detail (never secrets or DTMF digits)", func(r *RecordingEvent) *string { return &r.Detail }),
	strCol("event_id", "identity of the event for deduplication (the view keeps one row per event_id)", func(r *RecordingEvent) *string { return &r.EventID }),
	dictCol("analyzer_version", "version of the callscope program that wrote the row", func(r *RecordingEvent) *string { return &r.AnalyzerVersion }),
	timeCol("analyzed_at", "when the row was written (UTC)", func(r *RecordingEvent) *time.Time { return &r.AnalyzedAt }),
	intCol("generation", descGeneration, func(r *RecordingEvent) *int { return &r.Generation }),
})

func init() {
	callsTable.versions = func(r *Call) (string, string) { return r.MetricsVersion, r.AnalyzerVersion }
	channelsTable.versions = commonVersions(func(r *Channel) *common { return &r.common })
	segmentsTable.versions = commonVersions(func(r *Segment) *common { return &r.common })
	silencesTable.versions = commonVersions(func(r *Silence) *common { return &r.common })
	overlapsTable.versions = commonVersions(func(r *Overlap) *common { return &r.common })
	dtmfTable.versions = commonVersions(func(r *DTMF) *common { return &r.common })
	qaFlagsTable.versions = commonVersions(func(r *QAFlag) *common { return &r.common })
	pausesTable.versions = commonVersions(func(r *Pause) *common { return &r.common })
	eventsTable.versions = func(r *RecordingEvent) (string, string) { return "", r.AnalyzerVersion }
}

// tableOps is what the writer, the views and compaction need of a table
// without knowing its row type.
type tableOps interface {
	tableName() string
	arrowSchema() *arrow.Schema
	describe() Table
	// copyRows streams the rows of query q into one new file (compaction).
	copyRows(ctx context.Context, db *sql.DB, q, dir, name string, rowGroupRows int, runID string) (int64, error)
}

func (t *tableDef[R]) copyRows(ctx context.Context, db *sql.DB, q, dir, name string, rowGroupRows int, runID string) (int64, error) {
	return copyRows(ctx, db, t, q, dir, name, rowGroupRows, runID)
}

func (t *tableDef[R]) tableName() string          { return t.name }
func (t *tableDef[R]) arrowSchema() *arrow.Schema { return t.schema }

// allTables lists the tables in the order the writer flushes them: child
// tables first, calls last (the calls file commits an analysis), events
// apart.
var allTables = []tableOps{channelsTable, segmentsTable, silencesTable, overlapsTable, dtmfTable, qaFlagsTable, pausesTable, callsTable, eventsTable}

// Tables returns the description of every table of the dataset, in a
// stable order: calls first, then its child tables, then recording_events.
func Tables() []Table {
	order := []tableOps{callsTable, channelsTable, segmentsTable, silencesTable, overlapsTable, dtmfTable, qaFlagsTable, pausesTable, eventsTable}
	out := make([]Table, len(order))
	for i, t := range order {
		out[i] = t.describe()
	}
	return out
}

// TableNames returns the names of the tables, in the order of Tables.
func TableNames() []string {
	var out []string
	for _, t := range Tables() {
		out = append(out, t.Name)
	}
	return out
}

func lookupTable(name string) tableOps {
	for _, t := range allTables {
		if t.tableName() == name {
			return t
		}
	}
	return nil
}
