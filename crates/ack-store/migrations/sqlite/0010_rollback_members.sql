-- A driver step looks for members whose rollback task ended or is still live, among the members
-- with a rollback task. Over (rollout_id, state) that read every succeeded member of the rollout
-- at every step (all of them by the end of a rollout that never rolls back); over the members
-- with a rollback task alone it reads only those.
CREATE INDEX rollout_clusters_rolling_back ON rollout_clusters (rollout_id) WHERE rollback_task_id <> '';
