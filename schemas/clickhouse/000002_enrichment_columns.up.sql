-- Enrichment added by the enricher. Empty string / 0 means "unknown".
-- item_position is the 1-based position of item_id in set_item_ids, 0 when
-- the item is not in the look (or the interaction is not about an item).
ALTER TABLE interactions
    ADD COLUMN browser         String AFTER user_agent,
    ADD COLUMN browser_version String AFTER browser,
    ADD COLUMN os              String AFTER browser_version,
    ADD COLUMN device_class    String AFTER os,
    ADD COLUMN is_bot          UInt8  AFTER device_class,
    ADD COLUMN country         String AFTER is_bot,
    ADD COLUMN region          String AFTER country,
    ADD COLUMN city            String AFTER region,
    ADD COLUMN item_position   UInt16 AFTER set_item_ids
