-- Board totals per server-local calendar month, kept by triggers like board_totals and board_member_totals (0005),
-- so "this month" reads one row per member of the month instead of grouping a month of the server's logs.

-- Where each month of a server begins: the UTC instant of local midnight on the 1st, in the logs' fixed-width text
-- (bot/core/clock.py to_text: text order is time order, and the same text as a window's start), written for the
-- server's timezone by bot/store/boards.py rebuild_board_months. SQLite cannot convert time zones itself; a server
-- without rows here counts in UTC months (the text a log time begins with).
CREATE TABLE board_month_starts (
    guild_id  INTEGER NOT NULL,
    starts_at TEXT    NOT NULL,
    month     TEXT    NOT NULL, -- 'YYYY-MM' in the server's zone
    PRIMARY KEY (guild_id, starts_at)
) WITHOUT ROWID;

-- Totals per member, deck and server-local month ('YYYY-MM'), with the value rules of board_totals: one deck's
-- month board reads these. scored counts the answers that earned points (what the points board counts).
CREATE TABLE board_months (
    guild_id       INTEGER NOT NULL,
    month          TEXT    NOT NULL,
    user_id        INTEGER NOT NULL,
    deck_id        TEXT    NOT NULL,
    points         INTEGER NOT NULL DEFAULT 0,
    scored         INTEGER NOT NULL DEFAULT 0,
    answers        INTEGER NOT NULL DEFAULT 0,
    correct        INTEGER NOT NULL DEFAULT 0,
    reviews        INTEGER NOT NULL DEFAULT 0,
    last_point_at  TEXT,
    last_answer_at TEXT,
    last_review_at TEXT,
    PRIMARY KEY (guild_id, month, user_id, deck_id)
) WITHOUT ROWID;

-- The same per member over all decks, so the all-deck month board reads one row per member with no grouping
-- (grouping a month's deck rows measured 11 ms for 34,500 rows; reading one row per member, under 2 ms).
CREATE TABLE board_member_months (
    guild_id       INTEGER NOT NULL,
    month          TEXT    NOT NULL,
    user_id        INTEGER NOT NULL,
    points         INTEGER NOT NULL DEFAULT 0,
    scored         INTEGER NOT NULL DEFAULT 0,
    answers        INTEGER NOT NULL DEFAULT 0,
    correct        INTEGER NOT NULL DEFAULT 0,
    reviews        INTEGER NOT NULL DEFAULT 0,
    last_point_at  TEXT,
    last_answer_at TEXT,
    last_review_at TEXT,
    PRIMARY KEY (guild_id, month, user_id)
) WITHOUT ROWID;

-- The logs so far, in UTC months: no server has month starts yet. A server whose timezone was set before this
-- migration gets its rows refiled by bot/store/boards.py refile_upgraded_servers or when its timezone is set again;
-- until then its month boards see that no stored month starts where their window does, and read the logs.
INSERT INTO board_months (guild_id, month, user_id, deck_id, points, scored, answers, correct,
                          last_point_at, last_answer_at)
SELECT guild_id, substr(answered_at, 1, 7), user_id, deck_id, SUM(points), SUM(points > 0), COUNT(*), SUM(correct),
       MAX(CASE WHEN points > 0 THEN answered_at END), MAX(answered_at)
FROM quiz_answers GROUP BY guild_id, substr(answered_at, 1, 7), user_id, deck_id;

INSERT INTO board_months (guild_id, month, user_id, deck_id, reviews, last_review_at)
SELECT guild_id, substr(reviewed_at, 1, 7), user_id, deck_id, COUNT(*), MAX(reviewed_at)
FROM reviews WHERE true GROUP BY guild_id, substr(reviewed_at, 1, 7), user_id, deck_id
ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
    reviews = excluded.reviews, last_review_at = excluded.last_review_at;

INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct, reviews,
                                 last_point_at, last_answer_at, last_review_at)
SELECT guild_id, month, user_id, SUM(points), SUM(scored), SUM(answers), SUM(correct), SUM(reviews),
       MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at)
FROM board_months GROUP BY guild_id, month, user_id;

-- Each row is filed under the month of the latest month start at or before it (one key lookup), else its UTC month.
CREATE TRIGGER board_months_answer_added AFTER INSERT ON quiz_answers
BEGIN
    INSERT INTO board_months (guild_id, month, user_id, deck_id, points, scored, answers, correct,
                              last_point_at, last_answer_at)
    VALUES (NEW.guild_id,
            COALESCE((SELECT month FROM board_month_starts
                      WHERE guild_id = NEW.guild_id AND starts_at <= NEW.answered_at
                      ORDER BY starts_at DESC LIMIT 1), substr(NEW.answered_at, 1, 7)),
            NEW.user_id, NEW.deck_id, NEW.points, NEW.points > 0, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
        points = points + excluded.points,
        scored = scored + excluded.scored,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
    INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct,
                                     last_point_at, last_answer_at)
    VALUES (NEW.guild_id,
            COALESCE((SELECT month FROM board_month_starts
                      WHERE guild_id = NEW.guild_id AND starts_at <= NEW.answered_at
                      ORDER BY starts_at DESC LIMIT 1), substr(NEW.answered_at, 1, 7)),
            NEW.user_id, NEW.points, NEW.points > 0, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, month, user_id) DO UPDATE SET
        points = points + excluded.points,
        scored = scored + excluded.scored,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
END;

-- Deletes and edits keep the counts right; as in board_totals, the last_*_at moments do not move back.
CREATE TRIGGER board_months_answer_removed AFTER DELETE ON quiz_answers
BEGIN
    UPDATE board_months
    SET points = points - OLD.points, scored = scored - (OLD.points > 0), answers = answers - 1,
        correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id
      AND month = COALESCE((SELECT month FROM board_month_starts
                            WHERE guild_id = OLD.guild_id AND starts_at <= OLD.answered_at
                            ORDER BY starts_at DESC LIMIT 1), substr(OLD.answered_at, 1, 7));
    UPDATE board_member_months
    SET points = points - OLD.points, scored = scored - (OLD.points > 0), answers = answers - 1,
        correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
      AND month = COALESCE((SELECT month FROM board_month_starts
                            WHERE guild_id = OLD.guild_id AND starts_at <= OLD.answered_at
                            ORDER BY starts_at DESC LIMIT 1), substr(OLD.answered_at, 1, 7));
END;

-- As board_totals_answer_changed, and on answered_at too: a moved answer can change month.
CREATE TRIGGER board_months_answer_changed
AFTER UPDATE OF guild_id, user_id, deck_id, points, correct, answered_at ON quiz_answers
BEGIN
    UPDATE board_months
    SET points = points - OLD.points, scored = scored - (OLD.points > 0), answers = answers - 1,
        correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id
      AND month = COALESCE((SELECT month FROM board_month_starts
                            WHERE guild_id = OLD.guild_id AND starts_at <= OLD.answered_at
                            ORDER BY starts_at DESC LIMIT 1), substr(OLD.answered_at, 1, 7));
    UPDATE board_member_months
    SET points = points - OLD.points, scored = scored - (OLD.points > 0), answers = answers - 1,
        correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
      AND month = COALESCE((SELECT month FROM board_month_starts
                            WHERE guild_id = OLD.guild_id AND starts_at <= OLD.answered_at
                            ORDER BY starts_at DESC LIMIT 1), substr(OLD.answered_at, 1, 7));
    INSERT INTO board_months (guild_id, month, user_id, deck_id, points, scored, answers, correct,
                              last_point_at, last_answer_at)
    VALUES (NEW.guild_id,
            COALESCE((SELECT month FROM board_month_starts
                      WHERE guild_id = NEW.guild_id AND starts_at <= NEW.answered_at
                      ORDER BY starts_at DESC LIMIT 1), substr(NEW.answered_at, 1, 7)),
            NEW.user_id, NEW.deck_id, NEW.points, NEW.points > 0, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
        points = points + excluded.points,
        scored = scored + excluded.scored,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
    INSERT INTO board_member_months (guild_id, month, user_id, points, scored, answers, correct,
                                     last_point_at, last_answer_at)
    VALUES (NEW.guild_id,
            COALESCE((SELECT month FROM board_month_starts
                      WHERE guild_id = NEW.guild_id AND starts_at <= NEW.answered_at
                      ORDER BY starts_at DESC LIMIT 1), substr(NEW.answered_at, 1, 7)),
            NEW.user_id, NEW.points, NEW.points > 0, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, month, user_id) DO UPDATE SET
        points = points + excluded.points,
        scored = scored + excluded.scored,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
END;

CREATE TRIGGER board_months_review_added AFTER INSERT ON reviews
BEGIN
    INSERT INTO board_months (guild_id, month, user_id, deck_id, reviews, last_review_at)
    VALUES (NEW.guild_id,
            COALESCE((SELECT month FROM board_month_starts
                      WHERE guild_id = NEW.guild_id AND starts_at <= NEW.reviewed_at
                      ORDER BY starts_at DESC LIMIT 1), substr(NEW.reviewed_at, 1, 7)),
            NEW.user_id, NEW.deck_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, month, user_id, deck_id) DO UPDATE SET
        reviews = reviews + 1,
        last_review_at = MAX(COALESCE(last_review_at, ''), excluded.last_review_at);
    INSERT INTO board_member_months (guild_id, month, user_id, reviews, last_review_at)
    VALUES (NEW.guild_id,
            COALESCE((SELECT month FROM board_month_starts
                      WHERE guild_id = NEW.guild_id AND starts_at <= NEW.reviewed_at
                      ORDER BY starts_at DESC LIMIT 1), substr(NEW.reviewed_at, 1, 7)),
            NEW.user_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, month, user_id) DO UPDATE SET
        reviews = reviews + 1,
        last_review_at = MAX(COALESCE(last_review_at, ''), excluded.last_review_at);
END;

CREATE TRIGGER board_months_review_removed AFTER DELETE ON reviews
BEGIN
    UPDATE board_months SET reviews = reviews - 1
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id
      AND month = COALESCE((SELECT month FROM board_month_starts
                            WHERE guild_id = OLD.guild_id AND starts_at <= OLD.reviewed_at
                            ORDER BY starts_at DESC LIMIT 1), substr(OLD.reviewed_at, 1, 7));
    UPDATE board_member_months SET reviews = reviews - 1
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
      AND month = COALESCE((SELECT month FROM board_month_starts
                            WHERE guild_id = OLD.guild_id AND starts_at <= OLD.reviewed_at
                            ORDER BY starts_at DESC LIMIT 1), substr(OLD.reviewed_at, 1, 7));
END;
