DROP TABLE IF EXISTS item_activity_daily_mv;
DROP TABLE IF EXISTS item_activity_daily
