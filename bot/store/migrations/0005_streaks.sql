-- Daily streaks per member and server, kept in step with the activity log (bot/store/streaks.py).
-- timezone/daily_minimum record what the state was counted with: when either changes it is recomputed from the log.
CREATE TABLE streaks (
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    current       INTEGER NOT NULL DEFAULT 0,
    best          INTEGER NOT NULL DEFAULT 0,
    freezes       INTEGER NOT NULL DEFAULT 0,
    last_day      TEXT,
    reached_at    TEXT,
    pending_day   TEXT,
    pending_count INTEGER NOT NULL DEFAULT 0,
    last_at       TEXT,
    timezone      TEXT    NOT NULL DEFAULT 'UTC',
    daily_minimum INTEGER NOT NULL DEFAULT 1,
    updated_at    TEXT    NOT NULL,
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
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    deck_id        TEXT    NOT NULL,
    points         INTEGER NOT NULL DEFAULT 0,
    answers        INTEGER NOT NULL DEFAULT 0,
    correct        INTEGER NOT NULL DEFAULT 0,
    reviews        INTEGER NOT NULL DEFAULT 0,
    last_point_at  TEXT,
    last_answer_at TEXT,
    last_review_at TEXT,
    PRIMARY KEY (guild_id, user_id, deck_id)
) WITHOUT ROWID;

-- The totals at the server's last board reset: "all time" is totals minus this snapshot.
CREATE TABLE board_baselines (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    deck_id  TEXT    NOT NULL,
    points   INTEGER NOT NULL,
    answers  INTEGER NOT NULL,
    correct  INTEGER NOT NULL,
    reviews  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, deck_id)
) WITHOUT ROWID;

-- The same totals per member over all decks (kept by the same triggers), so all-deck boards read one row per member.
CREATE TABLE board_member_totals (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    points         INTEGER NOT NULL DEFAULT 0,
    answers        INTEGER NOT NULL DEFAULT 0,
    correct        INTEGER NOT NULL DEFAULT 0,
    reviews        INTEGER NOT NULL DEFAULT 0,
    last_point_at  TEXT,
    last_answer_at TEXT,
    last_review_at TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- board_member_totals at the server's last board reset.
CREATE TABLE board_member_baselines (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    points   INTEGER NOT NULL,
    answers  INTEGER NOT NULL,
    correct  INTEGER NOT NULL,
    reviews  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Which reset the baseline belongs to (compared with guild_settings.board_reset_at before it is trusted).
CREATE TABLE board_resets (
    guild_id INTEGER PRIMARY KEY,
    reset_at TEXT NOT NULL
);

INSERT INTO board_totals (guild_id, user_id, deck_id, points, answers, correct, last_point_at, last_answer_at)
SELECT guild_id, user_id, deck_id, SUM(points), COUNT(*), SUM(correct),
       MAX(CASE WHEN points > 0 THEN answered_at END), MAX(answered_at)
FROM quiz_answers GROUP BY guild_id, user_id, deck_id;

INSERT INTO board_totals (guild_id, user_id, deck_id, reviews, last_review_at)
SELECT guild_id, user_id, deck_id, COUNT(*), MAX(reviewed_at) FROM reviews WHERE true GROUP BY guild_id, user_id, deck_id
ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET reviews = excluded.reviews, last_review_at = excluded.last_review_at;

INSERT INTO board_member_totals (guild_id, user_id, points, answers, correct, reviews,
                                 last_point_at, last_answer_at, last_review_at)
SELECT guild_id, user_id, SUM(points), SUM(answers), SUM(correct), SUM(reviews),
       MAX(last_point_at), MAX(last_answer_at), MAX(last_review_at)
FROM board_totals GROUP BY guild_id, user_id;

CREATE TRIGGER board_totals_answer_added AFTER INSERT ON quiz_answers
BEGIN
    INSERT INTO board_totals (guild_id, user_id, deck_id, points, answers, correct, last_point_at, last_answer_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.deck_id, NEW.points, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
    INSERT INTO board_member_totals (guild_id, user_id, points, answers, correct, last_point_at, last_answer_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.points, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
END;

CREATE TRIGGER board_totals_answer_removed AFTER DELETE ON quiz_answers
BEGIN
    UPDATE board_totals SET points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id;
    UPDATE board_member_totals SET points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
END;

CREATE TRIGGER board_totals_answer_changed AFTER UPDATE OF guild_id, user_id, deck_id, points, correct ON quiz_answers
BEGIN
    UPDATE board_totals SET points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id;
    UPDATE board_member_totals SET points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    INSERT INTO board_totals (guild_id, user_id, deck_id, points, answers, correct, last_point_at, last_answer_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.deck_id, NEW.points, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
    INSERT INTO board_member_totals (guild_id, user_id, points, answers, correct, last_point_at, last_answer_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.points, 1, NEW.correct,
            CASE WHEN NEW.points > 0 THEN NEW.answered_at END, NEW.answered_at)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct,
        last_point_at = CASE WHEN excluded.last_point_at > COALESCE(last_point_at, '')
                             THEN excluded.last_point_at ELSE last_point_at END,
        last_answer_at = MAX(COALESCE(last_answer_at, ''), excluded.last_answer_at);
END;

CREATE TRIGGER board_totals_review_added AFTER INSERT ON reviews
BEGIN
    INSERT INTO board_totals (guild_id, user_id, deck_id, reviews, last_review_at)
    VALUES (NEW.guild_id, NEW.user_id, NEW.deck_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, user_id, deck_id) DO UPDATE SET
        reviews = reviews + 1,
        last_review_at = MAX(COALESCE(last_review_at, ''), excluded.last_review_at);
    INSERT INTO board_member_totals (guild_id, user_id, reviews, last_review_at)
    VALUES (NEW.guild_id, NEW.user_id, 1, NEW.reviewed_at)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        reviews = reviews + 1,
        last_review_at = MAX(COALESCE(last_review_at, ''), excluded.last_review_at);
END;

CREATE TRIGGER board_totals_review_removed AFTER DELETE ON reviews
BEGIN
    UPDATE board_totals SET reviews = reviews - 1
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND deck_id = OLD.deck_id;
    UPDATE board_member_totals SET reviews = reviews - 1 WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
END;
