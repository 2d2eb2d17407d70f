-- The engine's claim walked the running tasks in claim order past every leased one (the tasks
-- in flight, up to --max-concurrent-tasks per replica, each read from the table for its lease)
-- before reaching a free one: most of a claim's cost while the engine is busy. The free tasks
-- have an index of their own; a claim reads it, and looks for expired leases in the older
-- index only once per second of the clock. lease_owner moves only when a task is claimed or
-- released, never with a stage commit.
CREATE INDEX tasks_unleased ON tasks (created_at, seq) WHERE state = 'running' AND lease_owner IS NULL;
