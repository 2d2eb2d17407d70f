-- A task that is undoing its change: '' (not), 'fail' or 'canceled' (how it ends once the
-- rollback stage is done; error_code and error_message hold the failure meanwhile).
ALTER TABLE tasks ADD COLUMN rollback TEXT NOT NULL DEFAULT '';

-- Fleet rollouts: one add-on to one version across the clusters a selector matched at creation.
-- Times are Unix milliseconds (a soak is often shorter than a second in tests). A rollout is
-- driven by one replica at a time under a lease, like a task.
CREATE TABLE rollouts (
    seq BIGSERIAL PRIMARY KEY, -- insertion order
    rollout_id    TEXT NOT NULL UNIQUE,
    account       TEXT NOT NULL,
    addon         TEXT NOT NULL,
    version       TEXT NOT NULL,
    config        TEXT,                    -- NULL: each cluster keeps its config
    selector      TEXT NOT NULL,           -- JSON, as given
    strategy      TEXT NOT NULL,           -- JSON, defaults filled in
    state         TEXT NOT NULL,           -- running, paused, success, fail, canceled
    control       TEXT NOT NULL DEFAULT '', -- '' or cancel: asked for, being carried out
    tripped       INTEGER NOT NULL DEFAULT 0, -- the failure gate tripped
    live          INTEGER NOT NULL,        -- 1 until it ends
    current_wave  INTEGER NOT NULL,
    wave_count    INTEGER NOT NULL,
    lease_owner   TEXT,
    lease_until   BIGINT,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    finished_ms   BIGINT,
    error_code    TEXT NOT NULL DEFAULT '',
    error_message TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX rollouts_one_live ON rollouts (account, addon) WHERE live = 1;
CREATE INDEX rollouts_by_account ON rollouts (account, created_ms);
CREATE INDEX rollouts_live ON rollouts (live, lease_until);

CREATE TABLE rollout_waves (
    rollout_id  TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    state       TEXT NOT NULL,             -- pending, running, success, fail, canceled
    started_ms  BIGINT,
    finished_ms BIGINT,
    PRIMARY KEY (rollout_id, idx)
);

-- One row per member cluster, fixed at creation; wave -1 for a skipped one.
CREATE TABLE rollout_clusters (
    rollout_id       TEXT NOT NULL,
    cluster_id       TEXT NOT NULL,
    wave             INTEGER NOT NULL,
    state            TEXT NOT NULL,        -- pending, running, success, fail, skipped, canceled, rolled_back
    from_version     TEXT NOT NULL,
    to_version       TEXT NOT NULL,
    task_id          TEXT NOT NULL DEFAULT '',
    rollback_task_id TEXT NOT NULL DEFAULT '',
    message          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rollout_id, cluster_id)
);
CREATE INDEX rollout_clusters_by_wave ON rollout_clusters (rollout_id, wave, state);
CREATE INDEX rollout_clusters_by_state ON rollout_clusters (rollout_id, state);
