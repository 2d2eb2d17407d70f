//! DescribeTaskInfo and DescribeClusterTasks.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::{Reply, json_bytes};
use crate::state::AppState;
use ack_domain::task::Task;
use ack_wire::dto::{
    ClusterTask, ClusterTasks, PageInfo, TaskError, TaskEvent, TaskInfo, TaskResult, TaskStage,
    TaskTarget,
};
use ack_wire::time::{rfc3339, stage_time};
use serde_json::json;

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let t = st.store.task_info(&ctx.account, &ctx.task_id()?).await?;
    st.task_views.answer(&t, render).map(Reply::Bytes)
}

/// DescribeTaskInfo's body for one version of a task.
fn render(t: &Task) -> Result<Vec<u8>, ApiError> {
    let addons: Vec<serde_json::Value> = t
        .addons
        .iter()
        .map(|a| {
            json!({"name": a.component.as_str(), "operation": a.operation.as_str(),
                   "from_version": a.from_version, "to_version": a.to_version})
        })
        .collect();
    // One result per add-on (or one for the cluster), in the task's own state words.
    let results = if t.addons.is_empty() {
        vec![TaskResult {
            data: t.cluster_id.to_string(),
            status: t.state.as_str().into(),
        }]
    } else {
        t.addons
            .iter()
            .map(|a| TaskResult {
                data: a.component.to_string(),
                status: t.state.as_str().into(),
            })
            .collect()
    };
    let info = TaskInfo {
        task_id: t.id.to_string(),
        cluster_id: t.cluster_id.to_string(),
        task_type: t.task_type.clone(),
        state: t.state.as_str().to_string(),
        created: rfc3339(t.created_at),
        updated: rfc3339(t.updated_at),
        current_stage: t.current_stage().to_string(),
        target: TaskTarget {
            id: t.cluster_id.to_string(),
            kind: "cluster".into(),
        },
        parameters: json!({ "addons": addons }),
        outputs: json!({}),
        stages: t
            .stages
            .iter()
            .map(|s| TaskStage {
                state: s.state.clone(),
                message: if s.message.is_empty() {
                    s.name.clone()
                } else {
                    format!("{}: {}", s.name, s.message)
                },
                start_time: stage_time(s.start_time),
                end_time: s.end_time.map(stage_time).unwrap_or_default(),
                outputs: json!({}),
            })
            .collect(),
        events: t
            .events
            .iter()
            .map(|e| TaskEvent {
                action: e.action.clone(),
                level: e.level.clone(),
                message: e.message.clone(),
                reason: e.reason.clone(),
                source: e.source.clone(),
                timestamp: rfc3339(e.timestamp),
            })
            .collect(),
        task_result: results,
        error: t.error.as_ref().map(|e| TaskError {
            code: e.code.clone(),
            message: e.message.clone(),
        }),
    };
    json_bytes(&info)
}

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let cluster = ctx.cluster_id()?;
    st.store.cluster(&ctx.account, &cluster).await?;
    let (page_number, page_size) = ctx.page(10, 100)?;
    let (tasks, total) = st
        .store
        .list_tasks(&ctx.account, &cluster, page_number, page_size)
        .await?;
    Reply::json(&ClusterTasks {
        tasks: tasks
            .into_iter()
            .map(|t| ClusterTask {
                task_id: t.id.to_string(),
                task_type: t.task_type,
                state: t.state.as_str().into(),
                created: rfc3339(t.created_at),
                updated: rfc3339(t.updated_at),
                error: t.error.map(|e| TaskError {
                    code: e.code,
                    message: e.message,
                }),
            })
            .collect(),
        page_info: PageInfo {
            page_number,
            page_size,
            total_count: total,
        },
        request_id: ctx.request_id.clone(),
    })
}
