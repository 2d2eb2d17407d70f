//! Row ↔ domain conversions. A row that does not parse is a corrupt store, not a client error.

use ack_domain::cluster::Cluster;
use ack_domain::instance::{AddonInstance, InstanceState};
use ack_domain::task::{
    AddonTaskStatus, Control, Event, Operation, Outcome, Task, TaskAddon, TaskFailure, TaskState,
    UpgradeStatus,
};
use ack_domain::{AddonName, ClusterId, DomainError, TaskId};
use sqlx::Row;
use sqlx::any::AnyRow;

fn corrupt(what: &str, value: &str) -> DomainError {
    DomainError::Internal(format!("stored {what} {value:?} does not parse"))
}

pub(crate) fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(
    row: &'r AnyRow,
    col: &str,
) -> Result<T, DomainError> {
    row.try_get(col)
        .map_err(|e| DomainError::Internal(format!("column {col}: {e}")))
}

pub fn cluster(row: &AnyRow) -> Result<Cluster, DomainError> {
    let vswitch: String = get(row, "vswitch_ids")?;
    Ok(Cluster {
        id: ClusterId::parse(&get::<String>(row, "cluster_id")?)?,
        account: get(row, "account")?,
        name: get(row, "name")?,
        region_id: get(row, "region_id")?,
        zone_id: get(row, "zone_id")?,
        cluster_type: get(row, "cluster_type")?,
        cluster_spec: get(row, "cluster_spec")?,
        profile: get(row, "profile")?,
        kubernetes_version: get(row, "kubernetes_version")?,
        init_version: get(row, "init_version")?,
        state: get(row, "state")?,
        vpc_id: get(row, "vpc_id")?,
        vswitch_ids: serde_json::from_str(&vswitch)
            .map_err(|_| corrupt("vswitch_ids", &vswitch))?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        // In their own table; `Store::load_tags` adds them where an answer shows them.
        tags: Vec::new(),
    })
}

/// The task row; its add-ons and events are read separately.
pub fn task(row: &AnyRow) -> Result<Task, DomainError> {
    let state: String = get(row, "state")?;
    let control: String = get(row, "control")?;
    let stages: String = get(row, "stages")?;
    let code: Option<String> = get(row, "error_code")?;
    let message: Option<String> = get(row, "error_message")?;
    let next_stage: i64 = get(row, "next_stage")?;
    let rollback: String = get(row, "rollback")?;
    let failure = code.map(|code| TaskFailure {
        code,
        message: message.unwrap_or_default(),
    });
    // While a rollback runs, the failure is the outcome it ends with, not yet the task's error.
    let (error, rollback) = match rollback.as_str() {
        "" => (failure, None),
        "fail" => (
            None,
            Some(Outcome::Failed(
                failure.ok_or_else(|| corrupt("rollback", &rollback))?,
            )),
        ),
        "canceled" => (
            None,
            Some(Outcome::Canceled(
                failure.map(|f| f.message).unwrap_or_default(),
            )),
        ),
        other => return Err(corrupt("rollback", other)),
    };
    Ok(Task {
        id: TaskId::parse(&get::<String>(row, "task_id")?)?,
        account: get(row, "account")?,
        cluster_id: ClusterId::parse(&get::<String>(row, "cluster_id")?)?,
        task_type: get(row, "task_type")?,
        state: TaskState::parse(&state).ok_or_else(|| corrupt("task state", &state))?,
        next_stage: usize::try_from(next_stage)
            .map_err(|_| corrupt("next_stage", &next_stage.to_string()))?,
        control: Control::parse(&control).ok_or_else(|| corrupt("control", &control))?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        finished_at: get(row, "finished_at")?,
        error,
        stages: serde_json::from_str(&stages).map_err(|_| corrupt("stages", &stages))?,
        events: Vec::new(),
        addons: Vec::new(),
        rollback,
    })
}

pub fn task_addon(row: &AnyRow) -> Result<TaskAddon, DomainError> {
    let op: String = get(row, "operation")?;
    Ok(TaskAddon {
        component: AddonName::parse(&get::<String>(row, "component")?)?,
        operation: Operation::parse(&op).ok_or_else(|| corrupt("operation", &op))?,
        from_version: get(row, "from_version")?,
        to_version: get(row, "to_version")?,
        config: get(row, "config")?,
    })
}

pub fn event(row: &AnyRow) -> Result<Event, DomainError> {
    Ok(Event {
        action: get(row, "action")?,
        level: get(row, "level")?,
        message: get(row, "message")?,
        reason: get(row, "reason")?,
        source: get(row, "source")?,
        timestamp: get(row, "timestamp")?,
    })
}

type InstanceTuple = (String, String, String, String, i64, i64);
type StatusTuple = (String, String, String, i64, Option<i64>, i64, String);

/// The `instances_json` and `statuses_json` columns of the one-statement cluster read, sorted
/// by name as the API lists them.
pub fn addons_json(
    row: &AnyRow,
    cluster: &ClusterId,
) -> Result<(Vec<AddonInstance>, Vec<AddonTaskStatus>), DomainError> {
    let instances_text: String = get(row, "instances_json")?;
    let statuses_text: String = get(row, "statuses_json")?;
    let raw: Vec<InstanceTuple> =
        serde_json::from_str(&instances_text).map_err(|_| corrupt("instances", &instances_text))?;
    let mut instances = raw
        .into_iter()
        .map(|(name, version, config, state, created_at, updated_at)| {
            Ok(AddonInstance {
                cluster_id: cluster.clone(),
                name: AddonName::parse(&name)?,
                version,
                config,
                state: InstanceState::parse(&state)
                    .ok_or_else(|| corrupt("instance state", &state))?,
                created_at,
                updated_at,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    instances.sort_by(|a, b| a.name.cmp(&b.name));
    let raw: Vec<StatusTuple> =
        serde_json::from_str(&statuses_text).map_err(|_| corrupt("statuses", &statuses_text))?;
    let mut statuses = raw
        .into_iter()
        .map(
            |(component, task_id, status, created_at, finished_at, is_canceled, message)| {
                Ok(AddonTaskStatus {
                    cluster_id: cluster.clone(),
                    component: AddonName::parse(&component)?,
                    task_id: TaskId::parse(&task_id)?,
                    status: UpgradeStatus::parse(&status)
                        .ok_or_else(|| corrupt("upgrade status", &status))?,
                    created_at,
                    finished_at,
                    is_canceled: is_canceled != 0,
                    message,
                })
            },
        )
        .collect::<Result<Vec<_>, DomainError>>()?;
    statuses.sort_by(|a, b| a.component.cmp(&b.component));
    Ok((instances, statuses))
}
