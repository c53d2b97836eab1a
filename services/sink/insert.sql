INSERT INTO interactions (
    event_id, received_at, application, fm_session_id, session_id, customer_id,
    visitor_id, device_type, device_id, device_user, interaction, response_uuid,
    item_id, set_id, set_item_ids, item_position, size, request_id, client_ip,
    user_agent, browser, browser_version, os, device_class, is_bot,
    country, region, city, extra_keys, extra_values
)
