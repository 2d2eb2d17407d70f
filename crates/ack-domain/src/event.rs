//! The durable event log's vocabulary: what each change writes, in the same transaction as the
//! change. The event APIs read it; the stream and webhooks will follow it by `id`.

/// One logged change. `id` increases with every event and is never reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub id: i64,
    pub account: String,
    /// `task.created`, `task.stage`, `task.succeeded`, `task.failed`, `task.canceled`,
    /// `task.paused`, `task.resumed`, `cluster.created`, `cluster.deleted`, `rollout.created`,
    /// `rollout.wave`, `rollout.succeeded`, `rollout.failed`, `rollout.paused`,
    /// `rollout.resumed`, `rollout.canceled`.
    pub kind: String,
    pub cluster_id: String,
    pub task_id: String,
    pub rollout_id: String,
    /// The add-on, where the change has exactly one.
    pub addon: String,
    /// The task's, cluster's or rollout's state after the change.
    pub state: String,
    /// `Normal` or `Warning`.
    pub level: String,
    pub reason: String,
    pub message: String,
    pub time_ms: i64,
}

/// Every event type, in the order of the list above.
pub const EVENT_TYPES: [&str; 16] = [
    "task.created",
    "task.stage",
    "task.succeeded",
    "task.failed",
    "task.canceled",
    "task.paused",
    "task.resumed",
    "cluster.created",
    "cluster.deleted",
    "rollout.created",
    "rollout.wave",
    "rollout.succeeded",
    "rollout.failed",
    "rollout.paused",
    "rollout.resumed",
    "rollout.canceled",
];

/// Whether `kind` matches a type filter: the type itself, or a prefix ending in `*` (`task.*`).
pub fn type_matches(filter: &str, kind: &str) -> bool {
    match filter.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => kind == filter,
    }
}

/// Whether a type filter matches any event type at all (a typo, such as `tasks.*`, does not).
pub fn is_known_pattern(filter: &str) -> bool {
    EVENT_TYPES.iter().any(|t| type_matches(filter, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_types_or_prefixes() {
        assert!(type_matches("task.*", "task.stage"));
        assert!(type_matches("task.stage", "task.stage"));
        assert!(!type_matches("task.stage", "task.stages"));
        assert!(!type_matches("rollout.*", "task.stage"));
        assert!(type_matches("*", "cluster.created"));
        assert!(EVENT_TYPES.iter().all(|t| type_matches("*", t)));
        assert!(is_known_pattern("rollout.*") && is_known_pattern("task.stage"));
        assert!(!is_known_pattern("tasks.*") && !is_known_pattern("task.stages"));
    }
}
