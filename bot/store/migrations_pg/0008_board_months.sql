-- PostgreSQL twin of migrations/0008_board_months.sql (types, triggers and upserts as in 0005_streaks.sql).
-- Board totals per server-local calendar month, kept by triggers like board_totals and board_member_totals (0005),
-- so "this month" reads one row per member of the month instead of grouping a month of the server's logs.

-- Where each month of a server begins: the UTC instant of local midnight on the 1st, in the logs' fixed-width text
-- (bot/core/clock.py to_text: text order is time order, and the same text as a window's start), written for the
-- server's timezone by bot/store/boards.py rebuild_board_months. A server without rows here counts in UTC months
-- (the text a log time begins with), as on SQLite.
CREATE TABLE board_month_starts (
    guild_id  BIGINT NOT NULL,
    starts_at TEXT COLLATE "C" NOT NULL,
    month     TEXT COLLATE "C" NOT NULL, -- 'YYYY-MM' in the server's zone
    PRIMARY KEY (guild_id, starts_at)
);

-- Totals per member, deck and server-local month ('YYYY-MM'), with the value rules of board_totals: one deck's
-- month board reads these. scored counts the answers that earned points (what the points board counts).
CREATE TABLE board_months (
    guild_id       BIGINT NOT NULL,
    month          TEXT COLLATE "C" NOT NULL,
    user_id        BIGINT NOT NULL,
    deck_id        TEXT COLLATE "C" NOT NULL,
    points         BIGINT NOT NULL DEFAULT 0,
    scored         BIGINT NOT NULL DEFAULT 0,
    answers        BIGINT NOT NULL DEFAULT 0,
    correct        BIGINT NOT NULL DEFAULT 0,
    reviews        BIGINT NOT NULL DEFAULT 0,
    last_point_at  TEXT COLLATE "C",
    last_answer_at TEXT COLLATE "C",
    last_review_at TEXT COLLATE "C",
    PRIMARY KEY (guild_id, month, user_id, deck_id)
);

-- The same per member over all decks, so the all-deck month board reads one row per member with no grouping.
CREATE TABLE board_member_months (
    guild_id       BIGINT NOT NULL,
    month          TEXT COLLATE "C" NOT NULL,
    user_id        BIGINT NOT NULL,
    points         BIGINT NOT NULL DEFAULT 0,
    scored         BIGINT NOT NULL DEFAULT 0,
    answers        BIGINT NOT NULL DEFAULT 0,
    correct        BIGINT NOT NULL DEFAULT 0,
    reviews        BIGINT NOT NULL DEFAULT 0,
    last_point_at  TEXT COLLATE "C",
    last_answer_at TEXT COLLATE "C",
    last_review_at TEXT COLLATE "C",
    PRIMARY KEY (guild_id, month, user_id)
);

-- The logs so far, in UTC months: no server has month starts yet. A server whose timezone was set before this
-- migration gets its rows refiled by bot/store/boards.py refile_upgraded_servers or when its timezone is set again;
-- until then its month boards see that no stored month starts where their window does, and read the logs.
-- (SQLite's SUM(points > 0) counts true as 1; here it is COUNT(*) FILTER (WHERE points > 0).)
INSERT INTO board_months (guild_id, month, user_id, deck_id, points, scored, answers, correct,
                          last_point_at, last_answer_at)
SELECT guild_id, substr(answered_at, 1, 7), user_id, deck_id, SUM(points), COUNT(*) FILTER (WHERE points > 0),
       COUNT(*), SUM(correct), MAX(CASE WHEN points > 0 THEN answered_at END), MAX(answered_at)
FROM quiz_answers GROUP BY guild_id, substr(answered_at, 1, 7), user_id, deck_id;

INSERT INTO board_months (guild_id, month, user_id, deck_id, reviews, last_review_at)
SELECT guild_id, substr(reviewed_at, 1, 7), user_id, deck_id, COUNT(*), MAX(reviewed_at)
FROM reviews GROUP BY guild_id, substr(reviewed_at, 1, 7), user_id, deck_id
ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
    reviews = excluded.reviews, last_review_at = excluded.last_review_at;

INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct, reviews,
                                 last_point_at, last_answer_at, last_review_at)
SELECT guild_id, month, user_id, SUM(points), SUM(scored), SUM(answers), SUM(correct), SUM(reviews),
       MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at)
FROM board_months GROUP BY guild_id, month, user_id;

-- Each row is filed under the month of the latest month start at or before it (one key lookup), else its UTC month.
CREATE FUNCTION board_month_of(p_guild_id BIGINT, p_at TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT s.month FROM board_month_starts s
                     WHERE s.guild_id = p_guild_id AND s.starts_at <= p_at COLLATE "C"
                     ORDER BY s.starts_at DESC LIMIT 1), substr(p_at, 1, 7)) COLLATE "C"
$$;

-- As board_totals_answer (0005): a deleted answer leaves its month's totals, an inserted one is added, an edited
-- one does both, and answered_at is watched too (a moved answer can change month). The last_*_at moments do not
-- move back. (SQLite's (points > 0), 1 or 0, is (points > 0)::int.)
CREATE FUNCTION board_months_answer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    filed TEXT COLLATE "C";
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        filed := board_month_of(OLD.guild_id, OLD.answered_at);
        UPDATE board_months
        SET points = points - OLD.points, scored = scored - (OLD.points > 0)::int, answers = answers - 1,
            correct = correct - OLD.correct
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id AND month = filed;
        UPDATE board_member_months
        SET points = points - OLD.points, scored = scored - (OLD.points > 0)::int, answers = answers - 1,
            correct = correct - OLD.correct
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND month = filed;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        filed := board_month_of(NEW.guild_id, NEW.answered_at);
        INSERT INTO board_months AS t (guild_id, month, user_id, deck_id, points, scored, answers, correct,
                                       last_point_at, last_answer_at)
        VALUES (NEW.guild_id, filed, NEW.user_id, NEW.deck_id, NEW.points, (NEW.points > 0)::int, 1, NEW.correct,
                CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
        ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
            points = t.points + excluded.points,
            scored = t.scored + excluded.scored,
            answers = t.answers + 1,
            correct = t.correct + excluded.correct,
            last_point_at = CASE WHEN excluded.last_point_at > COALESCE(t.last_point_at, '')
                                 THEN excluded.last_point_at ELSE t.last_point_at END,
            last_answer_at = GREATEST(COALESCE(t.last_answer_at, ''), excluded.last_answer_at);
        INSERT INTO board_member_months AS t (guild_id, month, user_id, points, scored, answers, correct,
                                              last_point_at, last_answer_at)
        VALUES (NEW.guild_id, filed, NEW.user_id, NEW.points, (NEW.points > 0)::int, 1, NEW.correct,
                CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
        ON CONFLICT (guild_id, month, user_id) DO UPDATE SET
            points = t.points + excluded.points,
            scored = t.scored + excluded.scored,
            answers = t.answers + 1,
            correct = t.correct + excluded.correct,
            last_point_at = CASE WHEN excluded.last_point_at > COALESCE(t.last_point_at, '')
                                 THEN excluded.last_point_at ELSE t.last_point_at END,
            last_answer_at = GREATEST(COALESCE(t.last_answer_at, ''), excluded.last_answer_at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER board_months_answer_added AFTER INSERT ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION board_months_answer();

CREATE TRIGGER board_months_answer_removed AFTER DELETE ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION board_months_answer();

CREATE TRIGGER board_months_answer_changed
AFTER UPDATE OF guild_id, user_id, deck_id, points, correct, answered_at ON quiz_answers
FOR EACH ROW EXECUTE FUNCTION board_months_answer();

CREATE FUNCTION board_months_review() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    filed TEXT COLLATE "C";
BEGIN
    IF TG_OP = 'DELETE' THEN
        filed := board_month_of(OLD.guild_id, OLD.reviewed_at);
        UPDATE board_months SET reviews = reviews - 1
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id AND month = filed;
        UPDATE board_member_months SET reviews = reviews - 1
        WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND month = filed;
        RETURN NULL;
    END IF;
    filed := board_month_of(NEW.guild_id, NEW.reviewed_at);
    INSERT INTO board_months AS t (guild_id, month, user_id, deck_id, reviews, last_review_at)
    VALUES (NEW.guild_id, filed, NEW.user_id, NEW.deck_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
        reviews = t.reviews + 1,
        last_review_at = GREATEST(COALESCE(t.last_review_at, ''), excluded.last_review_at);
    INSERT INTO board_member_months AS t (guild_id, month, user_id, reviews, last_review_at)
    VALUES (NEW.guild_id, filed, NEW.user_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, month, user_id) DO UPDATE SET
        reviews = t.reviews + 1,
        last_review_at = GREATEST(COALESCE(t.last_review_at, ''), excluded.last_review_at);
    RETURN NULL;
END
$$;

CREATE TRIGGER board_months_review_added AFTER INSERT ON reviews
FOR EACH ROW EXECUTE FUNCTION board_months_review();

CREATE TRIGGER board_months_review_removed AFTER DELETE ON reviews
FOR EACH ROW EXECUTE FUNCTION board_months_review();
