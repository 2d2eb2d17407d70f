-- A driver step looks for members whose rollback task ended or is still live: succeeded members
-- with a rollback task. Over (rollout_id, state) that read every succeeded member of the rollout
-- at every step (all of them by the end of a rollout that never rolls back). This index holds the
-- members with a rollback task alone, and the steps ask for `rollback_task_id > ''` (the same
-- members: every id sorts after the empty one), a range it serves after two equalities, so that
-- both planners take it without statistics: SQLite keeps none, and PostgreSQL's lag behind a
-- rollout that runs for seconds after its members were inserted.
CREATE INDEX rollout_clusters_rolling_back ON rollout_clusters (rollout_id, state, rollback_task_id)
    WHERE rollback_task_id > '';
