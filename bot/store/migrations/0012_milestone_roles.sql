-- Milestone roles (bot/core/milestones.py): roles an admin tied to a streak or to quiz points. kind 'streak': the
-- member's current streak >= threshold; kind 'points': their quiz points in points_window ('week', 'month', 'all',
-- as the leaderboards count them) >= threshold. points_window is NULL for streak roles.
CREATE TABLE milestone_roles (
    guild_id      INTEGER NOT NULL,
    role_id       INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('streak', 'points')),
    threshold     INTEGER NOT NULL CHECK (threshold >= 1),
    points_window TEXT    CHECK (points_window IN ('week', 'month', 'all')),
    PRIMARY KEY (guild_id, role_id)
) WITHOUT ROWID;

-- The milestone roles Recall gave and Discord accepted: Recall takes back only these, and a member's row goes when
-- the role is taken back (or the member left). A role whose milestone was removed keeps its rows until taken back.
CREATE TABLE milestone_grants (
    guild_id   INTEGER NOT NULL,
    role_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    granted_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, role_id, user_id)
) WITHOUT ROWID;
