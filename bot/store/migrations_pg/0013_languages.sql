-- PostgreSQL twin of migrations/0013_languages.sql.
ALTER TABLE guild_settings ADD COLUMN language TEXT COLLATE "C";

ALTER TABLE reminders ADD COLUMN language TEXT COLLATE "C";
