-- Daily QA review: the calls of the review day, worst (lowest qa_score)
-- first, with their flags and the first flagged moment (wall clock), and
-- the anchor of their timeline in the page `report html` writes.
WITH day AS (SELECT coalesce(getvariable('review_day'), (SELECT max(date) FROM calls)) AS d),
first_flag AS (
    SELECT recording_id,
           max(CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END) AS sev_rank,
           min(start_s) AS first_flag_s
    FROM qa_flags GROUP BY recording_id
)
SELECT
    c.qa_score,
    CASE f.sev_rank WHEN 3 THEN 'critical' WHEN 2 THEN 'warning' WHEN 1 THEN 'info' ELSE '' END AS severity,
    c.start_time,
    round(c.recorded_s, 1)          AS recorded_s,
    round(c.paused_s, 1)            AS paused_s,
    c.channels,
    round(c.talk_s / nullif(c.recorded_s, 0), 3)    AS talk_share,
    round(c.longest_silence_s, 1)   AS longest_silence_s,
    c.interruptions,
    c.dtmf_count,
    array_to_string(c.qa_flags, ', ') AS flags,
    round(f.first_flag_s, 2)        AS first_flag_s,
    c.recording_id,
    'report.html#call-' || c.recording_id AS timeline
FROM calls c
LEFT JOIN first_flag f ON f.recording_id = c.recording_id, day
WHERE c.date = day.d
ORDER BY c.qa_score, f.sev_rank DESC NULLS LAST, c.start_time, c.recording_id
