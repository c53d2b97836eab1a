DROP TABLE IF EXISTS audience_daily_mv;
DROP TABLE IF EXISTS audience_daily
