-- Talk time per participant role (agent, customer, bot, unknown) over all
-- calls: how much each role talks, monologues, interruptions and
-- backchannels per call.
SELECT
    coalesce(nullif(ch.role, ''), 'unknown')      AS role,
    count(DISTINCT ch.recording_id)               AS calls,
    count(*)                                      AS channels,
    round(avg(ch.talk_s), 1)                      AS mean_talk_s,
    round(avg(ch.talk_share), 3)                  AS mean_talk_share,
    round(avg(ch.speech_share), 3)                AS mean_speech_share,
    round(quantile_cont(ch.speech_share, 0.5), 3) AS median_speech_share,
    round(avg(ch.longest_monologue_s), 1)         AS mean_longest_monologue_s,
    round(max(ch.longest_monologue_s), 1)         AS max_longest_monologue_s,
    round(avg(ch.interruptions_made), 2)          AS interruptions_made_per_channel,
    round(avg(ch.interrupted), 2)                 AS interrupted_per_channel,
    round(avg(ch.backchannels), 2)                AS backchannels_per_channel,
    count(*) FILTER (WHERE ch.one_way)            AS one_way_channels
FROM channels ch
GROUP BY ALL
ORDER BY calls DESC, role
