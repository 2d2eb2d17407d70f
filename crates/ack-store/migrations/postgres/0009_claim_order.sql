-- The claim takes the oldest runnable tasks. Over (state, lease_until) it read and sorted every
-- running task for each claim, so a claim cost grew with the queue; over the running tasks in
-- claim order it stops once it has its limit, past the leased ones at most. Without
-- lease_until in an index, a stage commit (which moves the lease) changes no indexed column.
DROP INDEX tasks_runnable;
CREATE INDEX tasks_claim_order ON tasks (created_at, seq) WHERE state = 'running';
