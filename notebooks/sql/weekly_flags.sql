-- Trends over weeks: how many calls raised each flag, per ISO week, and
-- the share of that week's calls.
WITH weeks AS (
    SELECT date_trunc('week', date)::DATE AS week, count(*) AS calls FROM calls GROUP BY ALL
)
SELECT
    w.week,
    f.flag,
    any_value(f.severity)                      AS severity,
    count(DISTINCT f.recording_id)             AS calls,
    round(count(DISTINCT f.recording_id) / any_value(w.calls), 3) AS share_of_calls
FROM qa_flags f
JOIN calls c ON c.recording_id = f.recording_id
JOIN weeks w ON w.week = date_trunc('week', c.date)::DATE
GROUP BY w.week, f.flag
ORDER BY w.week, calls DESC, f.flag
