-- PostgreSQL twin of migrations/0005_streaks.sql (types as in 0001_initial.sql). SQLite's triggers keep their names
-- and events (FOR EACH ROW, UPDATE OF the same columns) and run a plpgsql function, one per log.
-- The totals are written with INSERT … ON CONFLICT DO UPDATE SET col = t.col + excluded.col and UPDATE SET
-- col = col - …: each is one atomic update of the row under its lock, never a read then a write, so two transactions
-- adding rows for the same member at once are both counted. SQLite's scalar MAX(a, b) is GREATEST(a, b) here: they
-- differ only on a NULL argument, and neither argument is ever NULL (the second is a log row's NOT NULL time).
-- The functions name tables without a schema, like all of Recall's SQL: they keep the tables of the schema the
-- connection's search_path names. PostgreSQL runs AFTER … FOR EACH ROW triggers when their statement ends, SQLite
-- right after each row: the totals come out the same, as the functions read no table that statement writes.

-- Daily streaks per member and server, kept in step with the activity log (bot/store/streaks.py).
-- timezone/daily_minimum record what the state was counted with: when either changes it is recomputed from the log.
CREATE TABLE streaks (
    guild_id      BIGINT NOT NULL,
    user_id       BIGINT NOT NULL,
    current       BIGINT NOT NULL DEFAULT 0,
    best          BIGINT NOT NULL DEFAULT 0,
    freezes       BIGINT NOT NULL DEFAULT 0,
    last_day      TEXT COLLATE "C",
    reached_at    TEXT COLLATE "C",
    pending_day   TEXT COLLATE "C",
    pending_count BIGINT NOT NULL DEFAULT 0,
    last_at       TEXT COLLATE "C",
    timezone      TEXT COLLATE "C" NOT NULL DEFAULT 'UTC',
    daily_minimum BIGINT NOT NULL DEFAULT 1,
    updated_at    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Covering indexes so every board is one index range scan (a window) or one ordered index walk (all time).
CREATE INDEX boards_quiz_window ON quiz_answers (guild_id, answered_at, user_id, points, correct, deck_id);
CREATE INDEX boards_quiz_member ON quiz_answers (guild_id, user_id, answered_at, points, correct, deck_id);
CREATE INDEX boards_reviews_window ON reviews (guild_id, reviewed_at, user_id, deck_id, rating);
CREATE INDEX boards_reviews_member ON reviews (guild_id, user_id, reviewed_at, deck_id, rating);

-- All-time board totals per member and deck, kept by triggers on the logs (so "all time" never scans the logs).
-- last_*_at are the moments values were last reached (tie-breaks); deletes do not move them back.
CREATE TABLE board_totals (
    guild_id       BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    deck_id        TEXT COLLATE "C" NOT NULL,
    points         BIGINT NOT NULL DEFAULT 0,
    answers        BIGINT NOT NULL DEFAULT 0,
    correct        BIGINT NOT NULL DEFAULT 0,
    reviews        BIGINT NOT NULL DEFAULT 0,
    last_point_at  TEXT COLLATE "C",
    last_answer_at TEXT COLLATE "C",
    last_review_at TEXT COLLATE "C",
    PRIMARY KEY (guild_id, user_id, deck_id)
);

-- The totals at the server's last board reset: "all time" is totals minus this snapshot.
CREATE TABLE board_baselines (
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    deck_id  TEXT COLLATE "C" NOT NULL,
    points   BIGINT NOT NULL,
    answers  BIGINT NOT NULL,
    correct  BIGINT NOT NULL,
    reviews  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id, deck_id)
);

-- The same totals per member over all decks (kept by the same triggers), so all-deck boards read one row per member.
CREATE TABLE board_member_totals (
    guild_id       BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    points         BIGINT NOT NULL DEFAULT 0,
    answers        BIGINT NOT NULL DEFAULT 0,
    correct        BIGINT NOT NULL DEFAULT 0,
    reviews        BIGINT NOT NULL DEFAULT 0,
    last_point_at  TEXT COLLATE "C",
    last_answer_at TEXT COLLATE "C",
    last_review_at TEXT COLLATE "C",
    PRIMARY KEY (guild_id, user_id)
);

-- board_member_totals at the server's last board reset.
CREATE TABLE board_member_baselines (
    guild_id BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    points   BIGINT NOT NULL,
    answers  BIGINT NOT NULL,
    correct  BIGINT NOT NULL,
    reviews  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Which reset the baseline belongs to (compared with guild_settings.board_reset_at before it is trusted).
CREATE TABLE board_resets (
    guild_id BIGINT PRIMARY KEY,
    reset_at TEXT COLLATE "C" NOT NULL
);

-- The logs so far.
INSERT INTO board_totals (guild_id, user_id, deck_id, points, answers, correct, last_point_at, last_answer_at)
SELECT guild_id, user_id, deck_id, SUM(points), COUNT(*), SUM(correct),
       MAX(CASE WHEN points > 0 THEN answered_at END), MAX(answered_at)
FROM quiz_answers GROUP BY guild_id, user_id, deck_id;

INSERT INTO board_totals (guild_id, user_id, deck_id, reviews, last_review_at)
SELECT guild_id, user_id, deck_id, COUNT(*), MAX(reviewed_at) FROM reviews GROUP BY guild_id, user_id, deck_id
ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
    reviews = excluded.reviews, last_review_at = excluded.last_review_at;

INSERT INTO board_member_totals (guild_id, user_id, points, answers, correct, reviews,
                                 last_point_at, last_answer_at, last_review_at)
SELECT guild_id, user_id, SUM(points), SUM(answers), SUM(correct), SUM(reviews),
       MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at)
FROM board_totals GROUP BY guild_id, user_id;

-- One function per log keeps the totals; SQLite's three triggers per log keep their names and events and call it.
-- A deleted answer's values leave its totals, an inserted one's are added, and an edited one does both (old out,
-- new in), as SQLite's board_totals_answer_changed does.
CREATE FUNCTION board_totals_answer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE board_totals
        SET points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id;
        UPDATE board_member_totals
        SET points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO board_totals AS t (guild_id, user_id, deck_id, points, answers, correct,
                                       last_point_at, last_answer_at)
        VALUES (NEW.guild_id, NEW.user_id, NEW.deck_id, NEW.points, 1, NEW.correct,
                CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
        ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
            points = t.points + excluded.points,
            answers = t.answers + 1,
            correct = t.correct + excluded.correct,
            last_point_at = CASE WHEN excluded.last_point_at > COALESCE(t.last_point_at, '')
                                 THEN excluded.last_point_at ELSE t.last_point_at END,
            last_answer_at = GREATEST(COALESCE(t.last_answer_at, ''), excluded.last_answer_at);
        INSERT INTO board_member_totals AS t (guild_id, user_id, points, answers, correct,
                                              last_point_at, last_answer_at)
        VALUES (NEW.guild_id, NEW.user_id, NEW.points, 1, NEW.correct,
                CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
        ON CONFLICT (guild_id, user_id) DO UPDATE SET
            points = t.points + excluded.points,
            answers = t.answers + 1,
            correct = t.correct + excluded.correct,
            last_point_at = CASE WHEN excluded.last_point_at > COALESCE(t.last_point_at, '')
                                 THEN excluded.last_point_at ELSE t.last_point_at END,
            last_answer_at = GREATEST(COALESCE(t.last_answer_at, ''), excluded.last_answer_at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER board_totals_answer_added AFTER INSERT ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION board_totals_answer();

CREATE TRIGGER board_totals_answer_removed AFTER DELETE ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION board_totals_answer();

CREATE TRIGGER board_totals_answer_changed AFTER UPDATE OF guild_id, user_id, deck_id, points, correct ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION board_totals_answer();

-- Reviews are only ever added or deleted (SQLite has no update trigger on them either).
CREATE FUNCTION board_totals_review() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE board_totals SET reviews = reviews - 1
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id;
        UPDATE board_member_totals SET reviews = reviews - 1 WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
        RETURN NULL;
    END IF;
    INSERT INTO board_totals AS t (guild_id, user_id, deck_id, reviews, last_review_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.deck_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
        reviews = t.reviews + 1,
        last_review_at = GREATEST(COALESCE(t.last_review_at, ''), excluded.last_review_at);
    INSERT INTO board_member_totals AS t (guild_id, user_id, reviews, last_review_at)
    VALUES (NEW.guild_id, NEW.user_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        reviews = t.reviews + 1,
        last_review_at = GREATEST(COALESCE(t.last_review_at, ''), excluded.last_review_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER board_totals_review_added AFTER INSERT ON reviews
FOR EACH ROW EXECUTE FUNCTION board_totals_review();

CREATE TRIGGER board_totals_review_removed AFTER DELETE ON reviews
FOR EACH ROW EXECUTE FUNCTION board_totals_review();

-- SQLite's julianday() for the text dates and times the store's SQL compares (the streak board counts the days
-- between a member's local today and their streak's last day): the same number for the same text. STABLE, not
-- IMMUTABLE: text without an offset is read in the session's zone, which Recall sets to UTC on every connection.
CREATE FUNCTION julianday(moment text) RETURNS double precision
    LANGUAGE sql STABLE STRICT
    AS $$ SELECT (extract(epoch FROM moment::timestamptz) / 86400.0 + 2440587.5)::double precision $$;
