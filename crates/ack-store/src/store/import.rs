//! Bulk loads (`ack-addons import`) and the multi-row inserts of clusters and instances that
//! creating a cluster shares with them.

use super::sql::{MAX_ROWS_PER_INSERT, conflict_or, values_placeholders};
use super::{Backend, Res, Store, WriteTurn, tags};
use ack_domain::cluster::Cluster;
use ack_domain::instance::AddonInstance;
use ack_domain::task::AddonTaskStatus;
use sqlx::{Any, AssertSqlSafe, Transaction};

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
        for chunk in history.chunks(MAX_ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO addon_status (cluster_id, component, task_id, status, created_at, finished_at, is_canceled, message) VALUES {}",
                values_placeholders(self.store.backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for h in chunk {
                q = q
                    .bind(h.cluster_id.to_string())
                    .bind(h.component.to_string())
                    .bind(h.task_id.to_string())
                    .bind(h.status.as_str())
                    .bind(h.created_at)
                    .bind(h.finished_at)
                    .bind(i64::from(h.is_canceled))
                    .bind(h.message.clone());
            }
            q.execute(&mut *self.tx)
                .await
                .map_err(|e| conflict_or(e, "addons", "an add-on is listed twice"))?;
        }
        Ok(())
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
    for chunk in clusters.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO clusters (cluster_id, account, name, region_id, zone_id, cluster_type, cluster_spec, profile,
             kubernetes_version, init_version, state, vpc_id, vswitch_ids, created_at, updated_at) VALUES {}",
            values_placeholders(backend, chunk.len(), 15)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q
                .bind(c.id.to_string())
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
                .bind(c.updated_at);
        }
        q.execute(&mut **tx)
            .await
            .map_err(|e| conflict_or(e, "ClusterId", "a cluster with this id exists"))?;
    }
    tags::insert_tags(tx, backend, clusters).await
}

async fn insert_instances(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    instances: &[AddonInstance],
) -> Res<()> {
    for chunk in instances.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at) VALUES {}",
            values_placeholders(backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for i in chunk {
            q = q
                .bind(i.cluster_id.to_string())
                .bind(i.name.to_string())
                .bind(i.version.clone())
                .bind(i.config.clone())
                .bind(i.state.as_str())
                .bind(i.created_at)
                .bind(i.updated_at);
        }
        q.execute(&mut **tx)
            .await
            .map_err(|e| conflict_or(e, "addons", "an add-on is listed twice"))?;
    }
    Ok(())
}
