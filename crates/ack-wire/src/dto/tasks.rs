use serde::Serialize;
use serde_json::Value;

/// DescribeTaskInfo (ack-addon-api.md §3.9).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskInfo {
    pub task_id: String,
    pub cluster_id: String,
    pub task_type: String,
    /// `running`, `success`, `fail`, or (with the lifecycle engine) `paused`, `canceled`.
    pub state: String,
    pub created: String,
    pub updated: String,
    pub current_stage: String,
    pub target: TaskTarget,
    pub parameters: Value,
    pub outputs: Value,
    pub stages: Vec<TaskStage>,
    pub events: Vec<TaskEvent>,
    pub task_result: Vec<TaskResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskTarget {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskStage {
    pub state: String,
    pub message: String,
    pub start_time: String,
    pub end_time: String,
    pub outputs: Value,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskEvent {
    pub action: String,
    pub level: String,
    pub message: String,
    pub reason: String,
    pub source: String,
    pub timestamp: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskResult {
    pub data: String,
    pub status: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskError {
    pub code: String,
    pub message: String,
}

/// DescribeClusterTasks; note the camelCase `requestId`, as ACK sends it here.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ClusterTasks {
    pub tasks: Vec<ClusterTask>,
    pub page_info: super::PageInfo,
    #[serde(rename = "requestId")]
    pub request_id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ClusterTask {
    pub task_id: String,
    pub task_type: String,
    pub state: String,
    pub created: String,
    pub updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
}
