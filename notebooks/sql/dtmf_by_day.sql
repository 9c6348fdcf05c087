-- DTMF / PCI exposure per day: share of calls with tones in the audio,
-- digits captured, unmasked digits stored, and dtmf_captured flags.
SELECT
    c.date                                            AS day,
    count(*)                                          AS calls,
    count(*) FILTER (WHERE c.dtmf_count > 0)          AS calls_with_dtmf,
    round(count(*) FILTER (WHERE c.dtmf_count > 0) / count(*), 3) AS share_with_dtmf,
    sum(c.dtmf_count)                                 AS digits,
    (SELECT count(*) FROM dtmf d JOIN calls x ON x.recording_id = d.recording_id
      WHERE x.date = c.date AND NOT regexp_full_match(d.digit, '[X*]*')) AS raw_digits,
    count(*) FILTER (WHERE list_contains(c.qa_flags, 'dtmf_captured')) AS flagged_calls
FROM calls c
GROUP BY c.date
ORDER BY c.date
