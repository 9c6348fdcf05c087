-- DTMF / PCI exposure audit: every recording that captured DTMF tones
-- (digits of a card number or PIN may be in the audio), per channel, with
-- the role that keyed them, when, and whether the recording was paused at
-- all. raw_digits counts digits stored unmasked (operator opt-in): it
-- must be 0 unless storing digits was approved.
SELECT
    d.recording_id,
    c.start_time,
    d.channel,
    coalesce(nullif(ch.role, ''), 'unknown')          AS role,
    ch.participant_kind,
    count(*)                                          AS digits,
    count(*) FILTER (WHERE NOT regexp_full_match(d.digit, '[X*]*')) AS raw_digits,
    round(min(d.start_s), 2)                          AS first_s,
    round(max(d.end_s), 2)                            AS last_s,
    min(d.start_time)                                 AS first_time,
    round(avg(d.level_dbm0), 1)                       AS mean_level_dbm0,
    c.paused_s > 0                                    AS recording_was_paused,
    (SELECT count(*) FROM pauses p WHERE p.recording_id = d.recording_id) AS pauses
FROM dtmf d
JOIN calls c ON c.recording_id = d.recording_id
LEFT JOIN channels ch ON ch.recording_id = d.recording_id AND ch.channel = d.channel
GROUP BY d.recording_id, c.start_time, d.channel, ch.role, ch.participant_kind, c.paused_s
ORDER BY c.start_time, d.recording_id, d.channel
