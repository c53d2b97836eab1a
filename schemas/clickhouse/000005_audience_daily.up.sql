-- Who engages with each look: device class, operating system and browser
-- (parsed from the user agent by the enricher, '' when unknown) per
-- application, day and look. Human traffic only, duplicate-insensitive states.
CREATE TABLE IF NOT EXISTS audience_daily
(
    application  String,
    day          Date,
    set_id       String,
    device_class String,
    os           String,
    browser      String,
    interactions AggregateFunction(uniqExact, String),
    sessions     AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (application, day, set_id, device_class, os, browser);

CREATE MATERIALIZED VIEW IF NOT EXISTS audience_daily_mv TO audience_daily AS
SELECT
    application,
    toDate(received_at) AS day,
    set_id,
    device_class,
    os,
    browser,
    uniqExactState(event_id) AS interactions,
    uniqExactState(fm_session_id) AS sessions
FROM interactions
WHERE is_bot = 0
GROUP BY application, day, set_id, device_class, os, browser;

INSERT INTO audience_daily (application, day, set_id, device_class, os, browser, interactions, sessions)
SELECT
    application,
    toDate(received_at) AS day,
    set_id,
    device_class,
    os,
    browser,
    uniqExactState(event_id) AS interactions,
    uniqExactState(fm_session_id) AS sessions
FROM interactions
WHERE is_bot = 0
GROUP BY application, day, set_id, device_class, os, browser
