//! Bulk loads (`ack-addons import`) and the multi-row inserts of clusters and instances that
//! creating a cluster shares with them.

use super::sql::{AnyQuery, conflict_or, write_chunks};
use super::{Backend, Res, Store, WriteTurn, tags};
use ack_domain::DomainError;
use ack_domain::cluster::Cluster;
use ack_domain::instance::AddonInstance;
use ack_domain::task::AddonTaskStatus;
use sqlx::{Any, Transaction};

impl Store {
    /// Bulk load for `ack-addons import`: everything added to the returned session lands at
    /// `commit`, or nothing does.
    pub async fn begin_import(&self) -> Res<ImportSession> {
        let (turn, tx) = self.write_tx().await?;
        Ok(ImportSession {
            _turn: turn,
            tx,
            store: self.clone(),
            clusters: Vec::new(),
        })
    }

    /// One batch in its own transaction (tests and small loads).
    pub async fn import(&self, batch: &[(Cluster, Vec<AddonInstance>)]) -> Res<()> {
        let mut s = self.begin_import().await?;
        s.add(batch).await?;
        s.commit().await
    }
}

pub struct ImportSession {
    // Declared first so that the transaction ends before the turn is given back.
    tx: Transaction<'static, Any>,
    _turn: WriteTurn,
    store: Store,
    /// Forgotten by the status cache at commit.
    clusters: Vec<String>,
}

impl ImportSession {
    /// Multi-row inserts of a batch of clusters with their instances.
    pub async fn add(&mut self, batch: &[(Cluster, Vec<AddonInstance>)]) -> Res<()> {
        self.add_with_history(batch, &[]).await
    }

    /// Also records finished tasks as each add-on's latest (upgrade-status history).
    pub async fn add_with_history(
        &mut self,
        batch: &[(Cluster, Vec<AddonInstance>)],
        history: &[AddonTaskStatus],
    ) -> Res<()> {
        let clusters: Vec<Cluster> = batch.iter().map(|(c, _)| c.clone()).collect();
        insert_clusters(&mut self.tx, self.store.backend, &clusters).await?;
        self.clusters
            .extend(clusters.iter().map(|c| c.id.to_string()));
        let instances: Vec<AddonInstance> =
            batch.iter().flat_map(|(_, i)| i.iter().cloned()).collect();
        insert_instances(&mut self.tx, self.store.backend, &instances).await?;
        let sql = "INSERT INTO addon_status (cluster_id, component, task_id, status, created_at, finished_at, is_canceled, message) VALUES {}";
        let bind = |q: AnyQuery, h: &AddonTaskStatus| {
            q.bind(h.cluster_id.to_string())
                .bind(h.component.to_string())
                .bind(h.task_id.to_string())
                .bind(h.status.as_str())
                .bind(h.created_at)
                .bind(h.finished_at)
                .bind(i64::from(h.is_canceled))
                .bind(h.message.clone())
        };
        write_chunks(
            &mut self.tx,
            self.store.backend,
            (sql, 8),
            history,
            bind,
            listed_twice,
        )
        .await
    }

    pub async fn commit(self) -> Res<()> {
        let clusters: Vec<&str> = self.clusters.iter().map(String::as_str).collect();
        self.store.commit_changed(self.tx, &clusters).await
    }
}

pub(crate) async fn insert_clusters(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    clusters: &[Cluster],
) -> Res<()> {
    let sql = "INSERT INTO clusters (cluster_id, account, name, region_id, zone_id, cluster_type, cluster_spec, profile,
               kubernetes_version, init_version, state, vpc_id, vswitch_ids, created_at, updated_at) VALUES {}";
    let bind = |q: AnyQuery, c: &Cluster| {
        q.bind(c.id.to_string())
            .bind(c.account.clone())
            .bind(c.name.clone())
            .bind(c.region_id.clone())
            .bind(c.zone_id.clone())
            .bind(c.cluster_type.clone())
            .bind(c.cluster_spec.clone())
            .bind(c.profile.clone())
            .bind(c.kubernetes_version.clone())
            .bind(c.init_version.clone())
            .bind(c.state.clone())
            .bind(c.vpc_id.clone())
            .bind(serde_json::to_string(&c.vswitch_ids).unwrap_or_else(|_| "[]".into()))
            .bind(c.created_at)
            .bind(c.updated_at)
    };
    let taken = |e| conflict_or(e, "ClusterId", "a cluster with this id exists");
    write_chunks(tx, backend, (sql, 15), clusters, bind, taken).await?;
    tags::insert_tags(tx, backend, clusters).await
}

async fn insert_instances(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    instances: &[AddonInstance],
) -> Res<()> {
    let sql = "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at) VALUES {}";
    let bind = |q: AnyQuery, i: &AddonInstance| {
        q.bind(i.cluster_id.to_string())
            .bind(i.name.to_string())
            .bind(i.version.clone())
            .bind(i.config.clone())
            .bind(i.state.as_str())
            .bind(i.created_at)
            .bind(i.updated_at)
    };
    write_chunks(tx, backend, (sql, 7), instances, bind, listed_twice).await
}

fn listed_twice(e: sqlx::Error) -> DomainError {
    conflict_or(e, "addons", "an add-on is listed twice")
}
