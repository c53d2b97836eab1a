-- One row per interaction. ReplacingMergeTree collapses rows with the same
-- sorting key, and event_id is a hash of the dedup key, so a redelivered
-- interaction ends up as one row (query with FINAL, or count uniqExact(event_id)).
-- Empty string means "the client did not send this parameter".
CREATE TABLE IF NOT EXISTS interactions
(
    event_id      String,
    received_at   DateTime('UTC'),
    application   String,
    fm_session_id String,
    session_id    String,
    customer_id   String,
    visitor_id    String,
    device_type   String,
    device_id     String,
    device_user   String,
    interaction   String,
    response_uuid String,
    item_id       String,
    set_id        String,
    set_item_ids  Array(String),
    size          String,
    request_id    String,
    client_ip     String,
    user_agent    String,
    extra_keys    Array(String),
    extra_values  Array(String),
    inserted_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(received_at)
ORDER BY (application, set_id, interaction, event_id)
