-- Daily QA review: flags raised on the review day, by severity.
-- Review day: the variable review_day when set, else the latest day.
WITH day AS (SELECT coalesce(getvariable('review_day'), (SELECT max(date) FROM calls)) AS d)
SELECT
    f.severity,
    f.flag,
    count(DISTINCT f.recording_id) AS calls,
    count(*)                       AS raised,
    round(avg(f.value), 3)         AS mean_value,
    any_value(f.threshold)         AS threshold
FROM qa_flags f
JOIN calls c ON c.recording_id = f.recording_id, day
WHERE c.date = day.d
GROUP BY f.severity, f.flag
ORDER BY CASE f.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END DESC,
         calls DESC, f.flag
