-- PostgreSQL twin of migrations/0007_hot_path.sql.
-- What every rating writes and reads, made cheaper.

-- The board indexes of 0005 begin with the same columns as these and cover more, so queries use those; these only
-- cost every review and every quiz answer one more index insert.
DROP INDEX reviews_member;
DROP INDEX reviews_guild_time;
DROP INDEX quiz_answers_guild_time;

-- The fsrs state (1 learning, 2 review, 3 relearning) beside the card's JSON, so the study queue reads it without
-- parsing JSON for every card of the deck on every rating. (SQLite: json_extract(card_json, '$.state').)
ALTER TABLE srs_state ADD COLUMN state BIGINT;
UPDATE srs_state SET state = (card_json::jsonb ->> 'state')::bigint;

-- Every rating moves a card's due time, and with it this index's entry; the queries on due (/stats, explain) read one
-- member's rows, which the primary key finds as well.
DROP INDEX srs_due;
