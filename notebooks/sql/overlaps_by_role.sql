-- Who overlaps whom: overlap events by kind and by the roles of the
-- newcomer (by) and of the talker already speaking (of).
SELECT
    o.kind,
    coalesce(nullif(b.role, ''), 'unknown') AS by_role,
    coalesce(nullif(t.role, ''), 'unknown') AS of_role,
    count(*)                                AS events,
    count(DISTINCT o.recording_id)          AS calls,
    round(avg(o.end_s - o.start_s), 2)      AS mean_s,
    round(sum(o.end_s - o.start_s), 1)      AS total_s
FROM main.overlaps o
LEFT JOIN channels b ON b.recording_id = o.recording_id AND b.channel = o.by_channel
LEFT JOIN channels t ON t.recording_id = o.recording_id AND t.channel = o.of_channel
GROUP BY ALL
ORDER BY o.kind, events DESC, by_role, of_role
