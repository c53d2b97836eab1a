DROP TABLE IF EXISTS set_activity_hourly_mv;
DROP TABLE IF EXISTS set_activity_hourly
