//! One batch's transaction: every write of the batch, each kind in as few statements as its
//! rows allow (all ends at once, then the starts, then all stages at once), the logs written
//! once at the end, and the caches told once after the commit.

use super::batch::{Write, Written};
use super::ends::{End, EndRow, apply_ends, ended_in};
use super::plain_starts::{PlainStart, plain_starts_in};
use super::sets::Deferred;
use super::stages::{StageWrite, stages_in};
use super::starts::{ClusterChange, start_task_in};
use super::{Res, Store};
use ack_domain::DomainError;
use std::sync::atomic::Ordering;

impl Store {
    /// The one place a batch commits: every write in one transaction, then the caches forget
    /// each cluster whose status rows and each task whose view the batch changed (announced to
    /// the other replicas inside it, forgotten here after the commit, as every other write does).
    pub(super) async fn together(&self, writes: &[Write]) -> Res<Vec<Written>> {
        self.batcher.transactions.fetch_add(1, Ordering::Relaxed);
        let (_turn, mut tx) = self.write_tx().await?;
        let mut d = Deferred::default();
        let mut done: Vec<Option<Written>> = writes.iter().map(|_| None).collect();
        // Clusters whose status rows the batch changes, and tasks whose DescribeTaskInfo view.
        let (mut changed, mut tasks): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());

        // Ends first: what one frees (an add-on, a cluster) a start in the same batch may take.
        let mut rows: Vec<EndRow> = Vec::new();
        for w in writes {
            if let Write::Finish {
                id,
                lease,
                outcome,
                stages,
                now,
                ..
            } = w
            {
                rows.push((id, lease.as_deref(), outcome, stages.as_slice(), *now));
            }
        }
        let ended = ended_in(&mut tx, self.backend, &rows).await?;
        let mut ends = Vec::new();
        for (k, w) in writes.iter().enumerate() {
            if let Write::Finish {
                id,
                head,
                outcome,
                events,
                now,
                ..
            } = w
            {
                let here = ended.contains(id.as_str());
                if here {
                    changed.push(head.cluster_id.as_str());
                    ends.push(End {
                        id,
                        head,
                        outcome,
                        events,
                        now: *now,
                    });
                }
                tasks.push(id.as_str());
                done[k] = Some(Written::Finished(here));
            }
        }
        apply_ends(&mut tx, self.backend, &ends, &mut d).await?;

        // Plain starts (add-on changes on existing clusters) at once; then the others (a cluster
        // created or deleted with its task) one by one, each checking what those before it took.
        // Writes of one batch were ready at the same moment, so either order is one they could
        // have committed in.
        let (at, starts): (Vec<usize>, Vec<PlainStart<'_>>) = writes
            .iter()
            .enumerate()
            .filter_map(|(k, w)| match w {
                Write::Start {
                    task,
                    creates: None,
                    deletes: false,
                    member,
                } => Some((
                    k,
                    PlainStart {
                        task,
                        member: member.as_deref(),
                    },
                )),
                _ => None,
            })
            .unzip();
        let started = plain_starts_in(&mut tx, self.backend, &starts, &mut d).await?;
        let mut kept = Vec::new();
        for ((k, s), started) in at.iter().zip(&starts).zip(started) {
            if started {
                kept.push(s.task);
            }
            done[*k] = Some(if started {
                Written::Started
            } else {
                Written::NotDue
            });
        }
        let mut stages: Vec<(usize, &StageWrite)> = Vec::new();
        for (k, w) in writes.iter().enumerate() {
            match w {
                Write::Start {
                    task,
                    creates,
                    deletes,
                    member: _,
                } if creates.is_some() || *deletes => {
                    let start = match creates {
                        Some(c) => ClusterChange::Create(c),
                        None => ClusterChange::Delete,
                    };
                    changed.push(task.cluster_id.as_str());
                    start_task_in(&mut tx, self.backend, task, start, &mut d).await?;
                    done[k] = Some(Written::Started);
                }
                Write::Stage(s) => {
                    tasks.push(s.id.as_str());
                    stages.push((k, s));
                }
                Write::Start { .. } | Write::Finish { .. } => {}
            }
        }

        let writes_of: Vec<&StageWrite> = stages.iter().map(|(_, s)| *s).collect();
        let staged = stages_in(&mut tx, self.backend, &writes_of, &mut d).await?;
        for ((k, _), s) in stages.iter().zip(staged) {
            done[*k] = Some(Written::Stage(s));
        }
        d.flush(&mut tx, self.backend).await?;
        self.commit_starting(tx, &changed, &kept, &tasks).await?;
        done.into_iter()
            .map(|w| {
                w.ok_or_else(|| DomainError::Internal("a batched write went unanswered".into()))
            })
            .collect()
    }
}
