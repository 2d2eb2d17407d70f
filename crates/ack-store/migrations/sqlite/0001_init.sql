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
CREATE TABLE tasks (
    task_id       TEXT PRIMARY KEY,
    account       TEXT NOT NULL,
    cluster_id    TEXT NOT NULL,
    task_type     TEXT NOT NULL,
    state         TEXT NOT NULL,
    current_stage TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    error_code    TEXT,
    error_message TEXT,
    stages        TEXT NOT NULL, -- JSON array of stages
    events        TEXT NOT NULL  -- JSON array of events
);
CREATE INDEX tasks_by_cluster ON tasks (cluster_id, created_at);
