-- PostgreSQL twin of migrations/0012_milestone_roles.sql (types as in 0001's header).
CREATE TABLE milestone_roles (
    guild_id      BIGINT NOT NULL,
    role_id       BIGINT NOT NULL,
    kind          TEXT COLLATE "C" NOT NULL CHECK (kind IN ('streak', 'points')),
    threshold     BIGINT NOT NULL CHECK (threshold >= 1),
    points_window TEXT COLLATE "C" CHECK (points_window IN ('week', 'month', 'all')),
    PRIMARY KEY (guild_id, role_id)
);

CREATE TABLE milestone_grants (
    guild_id   BIGINT NOT NULL,
    role_id    BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    granted_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (guild_id, role_id, user_id)
);
