package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/callscope/callscope/internal/htmlreport"
	"github.com/callscope/callscope/store"
)

// htmlCallsQuery selects the calls of the page, worst first: lowest score,
// then highest severity raised, then start time. {{where}} filters calls c.
const htmlCallsQuery = `WITH s AS (
	SELECT recording_id, max({{rank severity}}) AS r FROM qa_flags GROUP BY recording_id
)
SELECT c.recording_id, c.call_id, c.correlation_id, c.start_time, c.end_time,
	c.recorded_s, c.paused_s, c.talk_s, c.silence_s, c.overlap_s,
	c.dead_air_count, c.dead_air_s, c.interruptions, c.turns, c.dtmf_count,
	c.chunks, c.channels, c.sample_rate, c.qa_score, c.qa_flags,
	coalesce(s.r, 0) AS sev
FROM calls c LEFT JOIN s ON s.recording_id = c.recording_id
{{where}}
ORDER BY c.qa_score, sev DESC, c.start_time, c.recording_id`

// htmlSelCTE names the calls that get a timeline: sel(recording_id).
const htmlSelCTE = `WITH s AS (
	SELECT recording_id, max({{rank severity}}) AS r FROM qa_flags GROUP BY recording_id
), sel AS (
	SELECT c.recording_id FROM calls c LEFT JOIN s ON s.recording_id = c.recording_id
	{{where}}
	ORDER BY c.qa_score, coalesce(s.r, 0) DESC, c.start_time, c.recording_id
	LIMIT ?
)
`

// The child tables of the calls with a timeline.
const (
	htmlChannelsQuery = htmlSelCTE + `SELECT t.recording_id, t.channel, t.participant_id, t.participant_kind, t.role,
	t.talk_s, t.talk_share, t.segments, t.interruptions_made, t.interrupted,
	t.speech_level_dbfs, t.snr_db, t.dtmf_count, t.one_way
FROM channels t SEMI JOIN sel ON t.recording_id = sel.recording_id ORDER BY t.recording_id, t.channel`
	htmlSegmentsQuery = htmlSelCTE + `SELECT t.recording_id, t.channel, t.start_s, t.end_s
FROM segments t SEMI JOIN sel ON t.recording_id = sel.recording_id ORDER BY t.recording_id, t.start_s, t.channel`
	htmlSilencesQuery = htmlSelCTE + `SELECT t.recording_id, t.start_s, t.end_s, t.kind
FROM silences t SEMI JOIN sel ON t.recording_id = sel.recording_id ORDER BY t.recording_id, t.start_s`
	htmlOverlapsQuery = htmlSelCTE + `SELECT t.recording_id, t.start_s, t.end_s, t.kind, t.by_channel, t.of_channel
FROM main.overlaps t SEMI JOIN sel ON t.recording_id = sel.recording_id ORDER BY t.recording_id, t.start_s`
	htmlPausesQuery = htmlSelCTE + `SELECT t.recording_id, t.offset_s, t.duration_s, t.start_time
FROM pauses t SEMI JOIN sel ON t.recording_id = sel.recording_id ORDER BY t.recording_id, t.offset_s`
	htmlDTMFQuery = htmlSelCTE + `SELECT t.recording_id, t.channel, t.start_s, t.end_s, t.digit
FROM dtmf t SEMI JOIN sel ON t.recording_id = sel.recording_id ORDER BY t.recording_id, t.seq`
	htmlFlagsQuery = htmlSelCTE + `SELECT t.recording_id, t.flag, t.severity, t.channel, t.value, t.threshold, t.start_s, t.detail
FROM qa_flags t SEMI JOIN sel ON t.recording_id = sel.recording_id
ORDER BY t.recording_id, {{rank severity}} DESC, t.start_s NULLS LAST, t.flag, t.channel`
)

// htmlFlagCountsQuery counts flags per severity and flag over the selection.
const htmlFlagCountsQuery = `SELECT f.severity, f.flag, count(DISTINCT f.recording_id) AS calls, count(*) AS raised
FROM qa_flags f JOIN calls c ON f.recording_id = c.recording_id {{where}}
GROUP BY f.severity, f.flag
ORDER BY {{rank f.severity}} DESC, calls DESC, raised DESC, f.flag`

const htmlSeverityQuery = `SELECT f.severity, count(*) AS raised, count(DISTINCT f.recording_id) AS calls
FROM qa_flags f JOIN calls c ON f.recording_id = c.recording_id {{where}}
GROUP BY f.severity ORDER BY {{rank f.severity}} DESC`

// htmlOptions are the page's knobs.
type htmlOptions struct {
	MaxTimelines int // calls drawn with a timeline (worst first)
	MaxWorst     int // rows of the worst-calls table
}

// loadHTMLReport reads the selected calls of db into a Report.
func loadHTMLReport(ctx context.Context, db *store.DB, f callFilter, opts htmlOptions) (*htmlreport.Report, error) {
	rep := &htmlreport.Report{Selection: f.label, TimelineCap: opts.MaxTimelines}
	ov := &rep.Overview
	sevNames := map[int]string{3: "critical", 2: "warning", 1: "info"}

	var calls []htmlreport.Call
	err := queryEach(ctx, db, f.sql(htmlCallsQuery), f.args, func(rows *sql.Rows) error {
		var c htmlreport.Call
		var callID, corr sql.NullString
		var flags any
		var sev int
		if err := rows.Scan(&c.RecordingID, &callID, &corr, &c.Start, &c.End,
			&c.RecordedS, &c.PausedS, &c.TalkS, &c.SilenceS, &c.OverlapS,
			&c.DeadAirCount, new(float64), &c.Interruptions, &c.Turns, &c.DTMFCount,
			&c.Chunks, &c.Channels, &c.SampleRate, &c.Score, &flags, &sev); err != nil {
			return err
		}
		c.CallID, c.CorrelationID, c.Severity = callID.String, corr.String, sevNames[sev]
		if xs, ok := flags.([]any); ok {
			for _, x := range xs {
				if s, ok := x.(string); ok {
					c.FlagNames = append(c.FlagNames, s)
				}
			}
		}
		calls = append(calls, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("html report calls: %w", err)
	}
	ov.Calls = len(calls)
	if ov.Calls == 0 {
		return rep, nil
	}
	ov.MinScore = calls[0].Score
	var scoreSum float64
	for _, c := range calls {
		ov.RecordedS += c.RecordedS
		ov.PausedS += c.PausedS
		ov.TalkS += c.TalkS
		ov.SilenceS += c.SilenceS
		ov.OverlapS += c.OverlapS
		ov.Interruptions += c.Interruptions
		ov.DTMFDigits += c.DTMFCount
		scoreSum += c.Score
		if c.Score < ov.MinScore {
			ov.MinScore = c.Score
		}
		if len(c.FlagNames) > 0 {
			ov.FlaggedCalls++
		}
		if c.DeadAirCount > 0 {
			ov.DeadAirCalls++
		}
		if c.DTMFCount > 0 {
			ov.DTMFCalls++
		}
		ov.Dist = append(ov.Dist, htmlreport.CallPoint{
			Talk: share(c.TalkS, c.RecordedS), Silence: share(c.SilenceS, c.RecordedS),
			Overlap: share(c.OverlapS, c.RecordedS), Score: c.Score,
		})
	}
	ov.MeanScore = scoreSum / float64(len(calls))

	err = queryEach(ctx, db, f.sql(htmlSeverityQuery), f.args, func(rows *sql.Rows) error {
		var s htmlreport.SeverityCount
		if err := rows.Scan(&s.Severity, &s.Raised, &s.Calls); err != nil {
			return err
		}
		ov.Severities = append(ov.Severities, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("html report severities: %w", err)
	}
	err = queryEach(ctx, db, f.sql(htmlFlagCountsQuery), f.args, func(rows *sql.Rows) error {
		var s htmlreport.FlagCount
		if err := rows.Scan(&s.Severity, &s.Flag, &s.Calls, &s.Raised); err != nil {
			return err
		}
		ov.Flags = append(ov.Flags, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("html report flag counts: %w", err)
	}

	n := len(calls)
	if opts.MaxTimelines >= 0 && n > opts.MaxTimelines {
		n = opts.MaxTimelines
	}
	for i := range calls {
		calls[i].HasTimeline = i < n
	}
	for i := 0; i < len(calls) && i < opts.MaxWorst; i++ {
		c := calls[i]
		if c.Score >= 100 && len(c.FlagNames) == 0 {
			break // clean calls are not "worst"
		}
		rep.Worst = append(rep.Worst, c.CallSummary)
	}
	rep.Calls = calls[:n]
	if n == 0 {
		return rep, nil
	}
	if err := loadTimelines(ctx, db, f, n, rep.Calls); err != nil {
		return nil, err
	}
	return rep, nil
}

// loadTimelines fills the lanes and events of the first n calls (which are
// the calls selected by htmlSelCTE with LIMIT n).
func loadTimelines(ctx context.Context, db *store.DB, f callFilter, n int, calls []htmlreport.Call) error {
	idx := make(map[string]*htmlreport.Call, len(calls))
	for i := range calls {
		idx[calls[i].RecordingID] = &calls[i]
	}
	args := append(append([]any{}, f.args...), n)
	type part struct {
		name, query string
		scan        func(rows *sql.Rows, c func(id string) *htmlreport.Call) error
	}
	lookup := func(id string) *htmlreport.Call {
		if c := idx[id]; c != nil {
			return c
		}
		return &htmlreport.Call{} // a call outside the page: discard
	}
	parts := []part{
		{"channels", htmlChannelsQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var pid, kind, role sql.NullString
			var l htmlreport.Lane
			if err := rows.Scan(&id, &l.Channel, &pid, &kind, &role, &l.TalkS, &l.TalkShare, &l.Segments,
				&l.Interrupts, &l.Interrupted, &l.LevelDBFS, &l.SNRDB, &l.DTMFCount, &l.OneWay); err != nil {
				return err
			}
			l.Participant, l.Kind, l.Role = pid.String, kind.String, role.String
			if l.Role == "" {
				l.Role = "unknown"
			}
			if l.Kind == "" {
				l.Kind = "unmapped"
			}
			c := get(id)
			c.Lanes = append(c.Lanes, l)
			return nil
		}},
		{"segments", htmlSegmentsQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var s htmlreport.Span
			if err := rows.Scan(&id, &s.Channel, &s.Start, &s.End); err != nil {
				return err
			}
			c := get(id)
			c.Segments = append(c.Segments, s)
			return nil
		}},
		{"silences", htmlSilencesQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var s htmlreport.Silence
			if err := rows.Scan(&id, &s.Start, &s.End, &s.Kind); err != nil {
				return err
			}
			c := get(id)
			c.Silences = append(c.Silences, s)
			return nil
		}},
		{"overlaps", htmlOverlapsQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var o htmlreport.Overlap
			if err := rows.Scan(&id, &o.Start, &o.End, &o.Kind, &o.By, &o.Of); err != nil {
				return err
			}
			c := get(id)
			c.Overlaps = append(c.Overlaps, o)
			return nil
		}},
		{"pauses", htmlPausesQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var p htmlreport.Pause
			if err := rows.Scan(&id, &p.Offset, &p.Duration, &p.Start); err != nil {
				return err
			}
			c := get(id)
			c.Pauses = append(c.Pauses, p)
			return nil
		}},
		{"dtmf", htmlDTMFQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var t htmlreport.Tone
			if err := rows.Scan(&id, &t.Channel, &t.Start, &t.End, &t.Digit); err != nil {
				return err
			}
			c := get(id)
			c.DTMF = append(c.DTMF, t)
			return nil
		}},
		{"qa_flags", htmlFlagsQuery, func(rows *sql.Rows, get func(string) *htmlreport.Call) error {
			var id string
			var fl htmlreport.Flag
			var ch sql.NullInt64
			var at sql.NullFloat64
			var detail sql.NullString
			if err := rows.Scan(&id, &fl.Flag, &fl.Severity, &ch, &fl.Value, &fl.Threshold, &at, &detail); err != nil {
				return err
			}
			if ch.Valid {
				v := int(ch.Int64)
				fl.Channel = &v
			}
			if at.Valid {
				v := at.Float64
				fl.Start = &v
			}
			fl.Detail = detail.String
			c := get(id)
			c.Flags = append(c.Flags, fl)
			return nil
		}},
	}
	for _, p := range parts {
		err := queryEach(ctx, db, f.sql(p.query), args, func(rows *sql.Rows) error { return p.scan(rows, lookup) })
		if err != nil {
			return fmt.Errorf("html report %s: %w", p.name, err)
		}
	}
	return nil
}

// queryEach runs q and calls fn for every row.
func queryEach(ctx context.Context, db *store.DB, q string, args []any, fn func(*sql.Rows) error) error {
	rows, err := db.SQL().QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func share(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
