-- Trends over weeks (ISO weeks, starting Monday, UTC): volume, QA score,
-- talk / silence / overlap shares, dead air, interruptions and DTMF.
SELECT
    date_trunc('week', c.date)::DATE                 AS week,
    count(*)                                          AS calls,
    round(sum(c.recorded_s) / 3600, 2)                AS recorded_h,
    round(avg(c.qa_score), 1)                         AS mean_score,
    round(count(*) FILTER (WHERE len(c.qa_flags) > 0) / count(*), 3) AS flagged_share,
    round(sum(c.talk_s) / nullif(sum(c.recorded_s), 0), 3)    AS talk_share,
    round(sum(c.silence_s) / nullif(sum(c.recorded_s), 0), 3) AS silence_share,
    round(sum(c.overlap_s) / nullif(sum(c.recorded_s), 0), 3) AS overlap_share,
    round(count(*) FILTER (WHERE c.dead_air_count > 0) / count(*), 3) AS dead_air_share,
    round(avg(c.interruptions), 2)                    AS interruptions_per_call,
    count(*) FILTER (WHERE c.dtmf_count > 0)          AS dtmf_calls
FROM calls c
GROUP BY ALL
ORDER BY week
