//! Cluster tags: written with their cluster (CreateCluster's task start, import), changed by
//! ModifyClusterTags, and read only by the calls that show them, one query per page of
//! clusters. The status calls never read them.

use super::{Backend, MAX_ROWS_PER_INSERT, Res, Store, fetch_cluster, values_placeholders};
use crate::unavailable;
use ack_domain::cluster::Cluster;
use ack_domain::{ClusterId, Tag, tag};
use sqlx::{Any, AssertSqlSafe, Transaction};

/// Inserts the tags of freshly inserted clusters, in the caller's transaction.
pub(crate) async fn insert_tags(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    clusters: &[Cluster],
) -> Res<()> {
    let rows: Vec<(&ClusterId, &Tag)> = clusters
        .iter()
        .flat_map(|c| c.tags.iter().map(move |t| (&c.id, t)))
        .collect();
    for chunk in rows.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO cluster_tags (cluster_id, tag_key, tag_value) VALUES {}",
            values_placeholders(backend, chunk.len(), 3)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, t) in chunk {
            q = q
                .bind(id.to_string())
                .bind(t.key.clone())
                .bind(t.value.clone());
        }
        q.execute(&mut **tx)
            .await
            .map_err(|e| super::conflict_or(e, "tags", "a tag key is listed twice"))?;
    }
    Ok(())
}

impl Store {
    /// Fills in the tags of these clusters (sorted by key) with one query.
    pub async fn load_tags(&self, clusters: &mut [Cluster]) -> Res<()> {
        if clusters.is_empty() {
            return Ok(());
        }
        let marks: Vec<String> = (1..=clusters.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT cluster_id, tag_key, tag_value FROM cluster_tags WHERE cluster_id IN ({})
             ORDER BY cluster_id, tag_key",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String, String)>(AssertSqlSafe(sql));
        for c in clusters.iter() {
            q = q.bind(c.id.to_string());
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unavailable)?;
        for c in clusters.iter_mut() {
            c.tags.clear();
        }
        for (id, key, value) in rows {
            // A page is at most 100 clusters: a linear search is cheaper than a map.
            if let Some(c) = clusters.iter_mut().find(|c| c.id.as_str() == id) {
                c.tags.push(Tag { key, value });
            }
        }
        Ok(())
    }

    /// ModifyClusterTags: sets each given key to its value, keeping the other keys; refused
    /// with nothing changed when the cluster would end up with too many tags.
    pub async fn modify_cluster_tags(
        &self,
        account: &str,
        id: &ClusterId,
        tags: &[Tag],
        now: i64,
    ) -> Res<()> {
        let (_turn, mut tx) = self.write_tx().await?;
        fetch_cluster(&mut tx, account, id).await?;
        for t in tags {
            sqlx::query(
                "INSERT INTO cluster_tags (cluster_id, tag_key, tag_value) VALUES ($1, $2, $3)
                 ON CONFLICT (cluster_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
            )
            .bind(id.as_str())
            .bind(&t.key)
            .bind(&t.value)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cluster_tags WHERE cluster_id = $1")
            .bind(id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?;
        // Dropping the transaction rolls the upserts back.
        tag::check_count("body", usize::try_from(n).unwrap_or(usize::MAX))?;
        sqlx::query("UPDATE clusters SET updated_at = $1 WHERE cluster_id = $2")
            .bind(now)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        self.commit_changed(tx, &[id.as_str()]).await
    }
}
