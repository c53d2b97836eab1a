DROP TABLE IF EXISTS interactions
