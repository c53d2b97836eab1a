-- Look-level activity per application, hour, look (set) and interaction,
-- human traffic only (is_bot = 0). The states are sets of event_id and
-- fm_session_id, so a redelivered row adds nothing, and merging states across
-- hours or interactions counts each session once (engaged sessions per day).
CREATE TABLE IF NOT EXISTS set_activity_hourly
(
    application  String,
    hour         DateTime('UTC'),
    set_id       String,
    interaction  String,
    interactions AggregateFunction(uniqExact, String),
    sessions     AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (application, hour, set_id, interaction);

CREATE MATERIALIZED VIEW IF NOT EXISTS set_activity_hourly_mv TO set_activity_hourly AS
SELECT
    application,
    toStartOfHour(received_at) AS hour,
    set_id,
    interaction,
    uniqExactState(event_id) AS interactions,
    uniqExactState(fm_session_id) AS sessions
FROM interactions
WHERE is_bot = 0
GROUP BY application, hour, set_id, interaction;

-- Backfill what was stored before the view existed. Rows inserted between the
-- view's creation and this statement are counted twice in states that
-- deduplicate, so they still count once.
INSERT INTO set_activity_hourly (application, hour, set_id, interaction, interactions, sessions)
SELECT
    application,
    toStartOfHour(received_at) AS hour,
    set_id,
    interaction,
    uniqExactState(event_id) AS interactions,
    uniqExactState(fm_session_id) AS sessions
FROM interactions
WHERE is_bot = 0
GROUP BY application, hour, set_id, interaction
