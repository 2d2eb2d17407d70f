//! DescribeTaskInfo.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_wire::dto::{TaskError, TaskEvent, TaskInfo, TaskResult, TaskStage, TaskTarget};
use ack_wire::time::{rfc3339, stage_time};
use serde_json::json;

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let t = st.store.task(&ctx.account, &ctx.task_id()?).await?;
    Reply::json(&TaskInfo {
        task_id: t.id.to_string(),
        cluster_id: t.cluster_id.to_string(),
        task_type: t.task_type.clone(),
        state: t.state.as_str().to_string(),
        created: rfc3339(t.created_at),
        updated: rfc3339(t.updated_at),
        current_stage: t.current_stage.clone(),
        target: TaskTarget {
            id: t.cluster_id.to_string(),
            kind: "cluster".into(),
        },
        parameters: json!({}),
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
        task_result: vec![TaskResult {
            data: t.cluster_id.to_string(),
            status: t.state.as_str().to_string(),
        }],
        error: t.error.as_ref().map(|e| TaskError {
            code: e.code.clone(),
            message: e.message.clone(),
        }),
    })
}
