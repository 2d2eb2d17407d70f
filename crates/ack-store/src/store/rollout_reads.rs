//! Rollouts as the API reads them: one with its waves and member counts, the account's
//! rollouts page by page, and a rollout's members.

use super::rollout_rows::{counts_of, member_row, rollout_row, wave_row};
use super::{Res, Store};
use crate::unavailable;
use ack_domain::fleet::{Counts, MemberRecord, RolloutRecord, WaveRecord};
use ack_domain::rollout::{MemberState, RolloutState};
use ack_domain::{DomainError, RolloutId};
use sqlx::{AssertSqlSafe, Row};

impl Store {
    /// The rollout if it belongs to `account`, with its waves and member counts.
    pub async fn rollout(
        &self,
        account: &str,
        id: &RolloutId,
    ) -> Res<(RolloutRecord, Vec<WaveRecord>, Counts)> {
        let row = sqlx::query("SELECT * FROM rollouts WHERE rollout_id = $1 AND account = $2")
            .bind(id.as_str())
            .bind(account)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| DomainError::RolloutNotFound(id.to_string()))?;
        let r = rollout_row(&row)?;
        let waves = sqlx::query("SELECT * FROM rollout_waves WHERE rollout_id = $1 ORDER BY idx")
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(wave_row)
            .collect::<Res<Vec<_>>>()?;
        let counts = self.rollout_counts(id).await?;
        Ok((r, waves, counts))
    }

    pub(crate) async fn rollout_counts(&self, id: &RolloutId) -> Res<Counts> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM rollout_clusters WHERE rollout_id = $1 GROUP BY state",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        counts_of(rows)
    }

    /// ListAddonRollouts: newest first, with each one's counts.
    pub async fn list_rollouts(
        &self,
        account: &str,
        addon: Option<&str>,
        state: Option<RolloutState>,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<(RolloutRecord, Counts)>, u64)> {
        let mut where_sql = "account = $1".to_string();
        let mut binds = vec![account.to_string()];
        if let Some(a) = addon {
            binds.push(a.to_string());
            where_sql.push_str(&format!(" AND addon = ${}", binds.len()));
        }
        if let Some(s) = state {
            binds.push(s.as_str().to_string());
            where_sql.push_str(&format!(" AND state = ${}", binds.len()));
        }
        let (rows, total) = self
            .page_of(
                "rollouts",
                &where_sql,
                binds,
                "created_ms DESC, seq DESC",
                page_number,
                page_size,
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = rollout_row(row)?;
            let counts = self.rollout_counts(&r.id).await?;
            out.push((r, counts));
        }
        Ok((out, total))
    }

    /// DescribeAddonRolloutClusters: one page of members in cluster-id order.
    pub async fn rollout_members(
        &self,
        account: &str,
        id: &RolloutId,
        state: Option<MemberState>,
        wave: Option<i64>,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<MemberRecord>, u64)> {
        // Only that it is the caller's: its waves and counts are not needed here.
        let own: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM rollouts WHERE rollout_id = $1 AND account = $2")
                .bind(id.as_str())
                .bind(account)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        if own.is_none() {
            return Err(DomainError::RolloutNotFound(id.to_string()));
        }
        let mut where_sql = "rollout_id = $1".to_string();
        let mut q_state = None;
        if let Some(s) = state {
            q_state = Some(s.as_str());
            where_sql.push_str(" AND state = $2");
        }
        let wave_param = if q_state.is_some() { 3 } else { 2 };
        if wave.is_some() {
            where_sql.push_str(&format!(" AND wave = ${wave_param}"));
        }
        let binds = |sql: String| {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id.as_str().to_string());
            if let Some(s) = q_state {
                q = q.bind(s);
            }
            if let Some(w) = wave {
                q = q.bind(w);
            }
            q
        };
        let next = wave_param + usize::from(wave.is_some());
        let total: i64 = binds(format!(
            "SELECT COUNT(*) AS n FROM rollout_clusters WHERE {where_sql}"
        ))
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?
        .try_get("n")
        .map_err(|e| DomainError::Internal(e.to_string()))?;
        let rows = binds(format!(
            "SELECT * FROM rollout_clusters WHERE {where_sql} ORDER BY cluster_id LIMIT ${next} OFFSET ${}",
            next + 1
        ))
        .bind(i64::from(page_size))
        .bind(i64::from(page_number.saturating_sub(1)) * i64::from(page_size))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let members = rows.iter().map(member_row).collect::<Res<Vec<_>>>()?;
        Ok((members, u64::try_from(total).unwrap_or(0)))
    }
}
