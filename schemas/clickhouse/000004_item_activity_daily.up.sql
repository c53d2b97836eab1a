-- Interactions with an item of a look (item_click and any client-defined
-- item interaction) per application, day, look, item and the item's 1-based
-- position in the look's set_item_ids (0: not in the list). Human traffic
-- only, with duplicate-insensitive states as in set_activity_hourly.
CREATE TABLE IF NOT EXISTS item_activity_daily
(
    application   String,
    day           Date,
    set_id        String,
    interaction   String,
    item_id       String,
    item_position UInt16,
    interactions  AggregateFunction(uniqExact, String),
    sessions      AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (application, day, set_id, interaction, item_id, item_position);

CREATE MATERIALIZED VIEW IF NOT EXISTS item_activity_daily_mv TO item_activity_daily AS
SELECT
    application,
    toDate(received_at) AS day,
    set_id,
    interaction,
    item_id,
    item_position,
    uniqExactState(event_id) AS interactions,
    uniqExactState(fm_session_id) AS sessions
FROM interactions
WHERE is_bot = 0 AND item_id != ''
GROUP BY application, day, set_id, interaction, item_id, item_position;

INSERT INTO item_activity_daily (application, day, set_id, interaction, item_id, item_position, interactions, sessions)
SELECT
    application,
    toDate(received_at) AS day,
    set_id,
    interaction,
    item_id,
    item_position,
    uniqExactState(event_id) AS interactions,
    uniqExactState(fm_session_id) AS sessions
FROM interactions
WHERE is_bot = 0 AND item_id != ''
GROUP BY application, day, set_id, interaction, item_id, item_position
