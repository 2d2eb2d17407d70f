CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    secret        TEXT NOT NULL,
    account       TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE clusters (
    cluster_id         TEXT PRIMARY KEY,
    account            TEXT NOT NULL,
    name               TEXT NOT NULL,
    region_id          TEXT NOT NULL,
    zone_id            TEXT NOT NULL,
    cluster_type       TEXT NOT NULL,
    cluster_spec       TEXT NOT NULL,
    profile            TEXT NOT NULL,
    kubernetes_version TEXT NOT NULL,
    init_version       TEXT NOT NULL,
    state              TEXT NOT NULL,
    vpc_id             TEXT NOT NULL,
    vswitch_ids        TEXT NOT NULL, -- JSON array
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX clusters_by_account ON clusters (account, created_at, cluster_id);

CREATE TABLE addon_instances (
    cluster_id TEXT NOT NULL REFERENCES clusters (cluster_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    config     TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, name)
) WITHOUT ROWID;

-- The latest task per add-on of a cluster; kept after an uninstall, so the upgrade status can
-- still show how the add-on went away.
CREATE TABLE addon_status (
    cluster_id  TEXT NOT NULL REFERENCES clusters (cluster_id) ON DELETE CASCADE,
    component   TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    is_canceled INTEGER NOT NULL,
    message     TEXT NOT NULL,
    PRIMARY KEY (cluster_id, component)
) WITHOUT ROWID;

-- Tasks outlive their cluster (DescribeTaskInfo of a DeleteCluster task), so no foreign key.
-- A task is claimed with a lease; `next_stage` counts completed stages, and moves only forward,
-- once per stage, so a stage is recorded at most once whatever crashes.
CREATE TABLE tasks (
    seq           INTEGER PRIMARY KEY, -- insertion order (rowid)
    task_id       TEXT NOT NULL UNIQUE,
    account       TEXT NOT NULL,
    cluster_id    TEXT NOT NULL,
    task_type     TEXT NOT NULL,
    state         TEXT NOT NULL,            -- running, paused, success, fail, canceled
    next_stage    INTEGER NOT NULL,
    control       TEXT NOT NULL DEFAULT '', -- '', pause, cancel: asked for, not yet done
    lease_owner   TEXT,
    lease_until   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    error_code    TEXT,
    error_message TEXT,
    stages        TEXT NOT NULL            -- JSON array of stages
);
CREATE INDEX tasks_by_cluster ON tasks (cluster_id, created_at);
CREATE INDEX tasks_runnable ON tasks (state, lease_until);

-- The add-ons a task changes. `live` is 1 until the task ends: the partial unique index lets an
-- add-on of a cluster have one live task at most, whatever the code above it does.
CREATE TABLE task_addons (
    task_id      TEXT NOT NULL,
    cluster_id   TEXT NOT NULL,
    component    TEXT NOT NULL,
    operation    TEXT NOT NULL,
    from_version TEXT NOT NULL,
    to_version   TEXT NOT NULL,
    config       TEXT,
    live         INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (task_id, component)
);
CREATE UNIQUE INDEX task_addons_one_live ON task_addons (cluster_id, component) WHERE live = 1;

CREATE TABLE task_events (
    task_id   TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    action    TEXT NOT NULL,
    level     TEXT NOT NULL,
    message   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    source    TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (task_id, seq)
);

-- Injected faults (emulator surface): the next matching stage fails with this code and message.
CREATE TABLE faults (
    fault_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    account    TEXT NOT NULL,
    cluster_id TEXT NOT NULL,
    component  TEXT NOT NULL, -- '' matches any add-on
    operation  TEXT NOT NULL,
    stage      TEXT NOT NULL,
    error_code TEXT NOT NULL,
    message    TEXT NOT NULL
);

-- Signature nonces seen within the replay window (used when several replicas share a database).
CREATE TABLE nonces (
    nonce   TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
CREATE INDEX nonces_by_age ON nonces (seen_at);
