//! Durable storage. One `Store` per process; every method is one transaction, so a crash at any
//! moment leaves either the whole change or none of it.

mod cache;
mod migrate;
mod rows;
mod store;

pub use cache::DEFAULT_CAPACITY as DEFAULT_STATUS_CACHE_CAPACITY;
pub use store::control::{ControlEffect, ControlRequest};
pub use store::drive::MemberTask;
pub use store::events::EventFilter;
pub use store::finish::FinishGuard;
pub use store::fleet::{FleetCounts, FleetFilter, FleetGroup};
pub use store::metrics::{StoreCounts, cache_hits_misses, store_errors};
pub use store::raw_commits::{RawCommits, measure as measure_raw_commits};
pub use store::rollouts::CandidateRow;
pub use store::sessions::SessionRecord;
pub use store::stages::StageDone;
pub use store::starts::TaskStart;
pub use store::webhooks::{Attempt, DeliveryRecord, WebhookRecord};
pub use store::{Backend, ImportSession, Store};

/// An access key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub access_key_id: String,
    pub secret: String,
    pub account: String,
}

/// DescribeClustersV1's filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct ClusterFilter {
    pub name: Option<String>,
    pub cluster_type: Option<String>,
    pub cluster_spec: Option<String>,
    pub profile: Option<String>,
    pub region_id: Option<String>,
    pub cluster_id: Option<String>,
    /// Not ACK's: a part of the name (any case), or a whole cluster id.
    pub search: Option<String>,
    /// Not ACK's: tags the cluster must all carry, as (key, value).
    pub tags: Vec<(String, String)>,
    /// Not ACK's: an add-on the cluster has installed, at this version when one is given.
    pub addon: Option<(String, Option<String>)>,
}

/// Everything a cluster's add-on calls need, read in one go.
#[derive(Debug, Clone)]
pub struct ClusterAddons {
    pub cluster: ack_domain::cluster::Cluster,
    pub instances: Vec<ack_domain::instance::AddonInstance>,
    pub statuses: Vec<ack_domain::task::AddonTaskStatus>,
}

impl ClusterAddons {
    /// The status calls' view: every add-on installed or with a latest task, by name.
    pub fn snapshot(&self) -> ack_domain::status::AddonsSnapshot<'_> {
        use ack_domain::status::{AddonsSnapshot, Installed, LatestTask};
        AddonsSnapshot::merge(
            &self.cluster.kubernetes_version,
            self.instances.iter().map(|i| {
                (
                    i.name.as_str(),
                    Installed {
                        version: &i.version,
                        config: &i.config,
                    },
                )
            }),
            self.statuses.iter().map(|t| {
                (
                    t.component.as_str(),
                    LatestTask {
                        status: t.status,
                        created_at: t.created_at,
                        finished_at: t.finished_at,
                        is_canceled: t.is_canceled,
                        message: &t.message,
                    },
                )
            }),
        )
    }
}

fn unavailable(e: sqlx::Error) -> ack_domain::DomainError {
    tracing::error!(error = %e, "store error");
    store::metrics::count_error();
    // Connection trouble (the database is away or restarting) is temporary: 503, retry.
    let connection_class = |code: &str| code.starts_with("08") || code.starts_with("57P");
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => ack_domain::DomainError::Unavailable(e.to_string()),
        sqlx::Error::Database(ref d) if d.code().is_some_and(|c| connection_class(&c)) => {
            ack_domain::DomainError::Unavailable(e.to_string())
        }
        other => ack_domain::DomainError::Internal(other.to_string()),
    }
}
