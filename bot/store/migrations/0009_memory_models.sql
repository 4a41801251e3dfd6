-- Memory models fitted to the learners' own reviews (bot.core.memory): one row per scope that was ever fitted, the
-- scope being a member (user_id) or, with user_id 0, the server's pooled reviews. parameters is the set in use (a JSON
-- list of 21 numbers; NULL while no fit was adopted, so FSRS-6's defaults or the server's set schedule), previous the
-- set it replaced (a rollback puts it back). last_fit_reviews is the scope's review count at its last fit, adopted or
-- not: the next fit waits for REFIT_AFTER_REVIEWS more, or a week.
CREATE TABLE memory_models (
    guild_id         INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    parameters       TEXT,
    previous         TEXT,
    adopted_at       TEXT,
    last_fit_at      TEXT    NOT NULL,
    last_fit_reviews INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Every fit, adopted or not, with why, and how the set in use (before) and the candidate (after) predicted the
-- held-out latest reviews.
CREATE TABLE memory_fits (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    fitted_at       TEXT    NOT NULL,
    reviews         INTEGER NOT NULL,
    adopted         INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    log_loss_before REAL,
    rmse_before     REAL,
    log_loss_after  REAL,
    rmse_after      REAL,
    parameters      TEXT
);
CREATE INDEX memory_fits_scope ON memory_fits (guild_id, user_id, fitted_at);

-- The recall the model in use predicted for a review a day or more after the card's last one (NULL otherwise): /stats
-- sets the last 30 days' true recall beside it, so members can see whether the model is honest.
ALTER TABLE reviews ADD COLUMN predicted_recall REAL;
