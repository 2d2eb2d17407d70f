//! DescribeTaskInfo's answers as rendered, per version of a task: a client polling a task until
//! it ends asks for the same answer many times over, and rendering it (its stages, events and
//! times) costs more than the rest of the call. A version is the store's `Arc<Task>` itself: the
//! task cache hands out a new one whenever the task changed, so an answer is reused only for the
//! very task it was rendered from (the entry holds that `Arc`, so its address cannot be reused
//! meanwhile). Without the task cache every call gets a fresh `Arc`, and renders.

use crate::error::ApiError;
use ack_domain::task::Task;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Answers kept at most; past it the map starts over (polled tasks come back at once).
const CAPACITY: usize = 4096;

/// A rendered answer and the version of the task it was rendered from.
type View = (Arc<Task>, Arc<[u8]>);

#[derive(Default)]
pub struct TaskViews {
    map: Mutex<HashMap<String, View>>,
}

impl TaskViews {
    /// The answer rendered from `task`, by `render` unless this very version was rendered before.
    pub fn answer(
        &self,
        task: &Arc<Task>,
        render: impl FnOnce(&Task) -> Result<Vec<u8>, ApiError>,
    ) -> Result<Vec<u8>, ApiError> {
        let lock = || self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((seen, body)) = lock().get(task.id.as_str())
            && Arc::ptr_eq(seen, task)
        {
            return Ok(body.to_vec());
        }
        let body = render(task)?;
        let mut map = lock();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(
            task.id.to_string(),
            (Arc::clone(task), Arc::from(body.as_slice())),
        );
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ack_domain::ClusterId;

    fn task() -> Arc<Task> {
        let c = ClusterId::parse("c-views").unwrap();
        Arc::new(Task::new("acct", &c, "addon_upgrade", 1, Vec::new()))
    }

    #[test]
    fn a_version_renders_once_and_a_new_version_renders_again() {
        let views = TaskViews::default();
        let renders = std::cell::Cell::new(0);
        let render = |t: &Task| {
            renders.set(renders.get() + 1);
            Ok(format!("{}#{}", t.id, renders.get()).into_bytes())
        };
        let v1 = task();
        let first = views.answer(&v1, render).unwrap();
        assert_eq!(views.answer(&v1, render).unwrap(), first);
        assert_eq!(renders.get(), 1);
        // The same task as the store hands it out after a change: another Arc, rendered anew.
        let v2 = Arc::new((*v1).clone());
        let second = views.answer(&v2, render).unwrap();
        assert_ne!(second, first);
        assert_eq!(renders.get(), 2);
        assert_eq!(views.answer(&v2, render).unwrap(), second);
        assert_eq!(renders.get(), 2);
    }
}
