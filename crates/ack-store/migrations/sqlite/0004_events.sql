-- The durable log of changes: every task start, stage, end, pause, resume and cancel, every
-- cluster create and delete and every rollout transition, written in the same transaction as the
-- change itself, so that what clients are told (the event APIs, later the stream and webhooks)
-- never contradicts the state.
CREATE TABLE events (
    event_id   INTEGER PRIMARY KEY AUTOINCREMENT, -- increases, never reused
    account    TEXT NOT NULL,
    type       TEXT NOT NULL,           -- task.created, task.stage, …, rollout.wave, …
    cluster_id TEXT NOT NULL DEFAULT '',
    task_id    TEXT NOT NULL DEFAULT '',
    rollout_id TEXT NOT NULL DEFAULT '',
    addon      TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT '',
    level      TEXT NOT NULL,           -- Normal, Warning
    reason     TEXT NOT NULL,
    message    TEXT NOT NULL,
    time_ms    BIGINT NOT NULL
);
CREATE INDEX events_by_account ON events (account, event_id);
CREATE INDEX events_by_cluster ON events (cluster_id, event_id);
