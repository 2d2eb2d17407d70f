//! DescribeTaskInfo's read: from the task cache when it holds the task, else three statements
//! (the task, its add-ons, its events), kept for the next poll.

use super::tasks::load;
use super::{Res, Store};
use crate::unavailable;
use ack_domain::task::Task;
use ack_domain::{DomainError, TaskId};
use std::sync::Arc;

impl Store {
    /// The task with its add-ons and events, if it belongs to `account`.
    pub async fn task_info(&self, account: &str, id: &TaskId) -> Res<Arc<Task>> {
        let Some(cache) = self.task_cache.as_ref().filter(|_| self.caches_usable()) else {
            return self.task(account, id).await.map(Arc::new);
        };
        let ticket = match cache.lookup(id.as_str()) {
            Ok(t) if t.account == account => return Ok(t),
            Ok(_) => return Err(DomainError::TaskNotFound(id.to_string())),
            Err(ticket) => ticket,
        };
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        let task = Arc::new(load(&mut conn, None, id).await?);
        cache.store(ticket, Arc::clone(&task));
        if task.account != account {
            return Err(DomainError::TaskNotFound(id.to_string()));
        }
        Ok(task)
    }

    /// How many tasks DescribeTaskInfo's cache holds now.
    pub fn task_cache_len(&self) -> usize {
        self.task_cache.as_ref().map_or(0, |c| c.len())
    }
}
