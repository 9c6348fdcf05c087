-- Daily QA review: the review day at a glance.
-- Review day: the variable review_day when set (the notebooks set it from
-- CALLSCOPE_DATE), else the latest day in the dataset.
-- Runs alone: report sql -f notebooks/sql/qa_review_summary.sql
WITH day AS (SELECT coalesce(getvariable('review_day'), (SELECT max(date) FROM calls)) AS d)
SELECT
    c.date                                              AS day,
    count(*)                                            AS calls,
    count(*) FILTER (WHERE len(c.qa_flags) > 0)         AS flagged_calls,
    round(avg(c.qa_score), 1)                           AS mean_score,
    min(c.qa_score)                                     AS min_score,
    round(sum(c.recorded_s) / 60, 1)                    AS recorded_min,
    round(sum(c.talk_s) / nullif(sum(c.recorded_s), 0), 3)    AS talk_share,
    round(sum(c.silence_s) / nullif(sum(c.recorded_s), 0), 3) AS silence_share,
    round(sum(c.overlap_s) / nullif(sum(c.recorded_s), 0), 3) AS overlap_share,
    count(*) FILTER (WHERE c.dead_air_count > 0)        AS dead_air_calls,
    count(*) FILTER (WHERE c.dtmf_count > 0)            AS dtmf_calls
FROM calls c, day
WHERE c.date = day.d
GROUP BY c.date
