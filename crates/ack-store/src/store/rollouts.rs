//! Rollouts as the API sees them: the candidates a selector matches, creating one with its waves
//! and members in one transaction, reading and listing, and pause, resume and cancel. What the
//! driver reads and writes is in `drive.rs`.

use super::events::{Logged, log_rollout};
use super::rollout_rows::{corrupt, counts_of, member_row, rollout_row, wave_row};
use super::{MAX_ROWS_PER_INSERT, Res, Store, values_placeholders};
use crate::unavailable;
use ack_domain::fleet::{Counts, MemberRecord, RolloutRecord, WaveRecord};
use ack_domain::rollout::{MemberState, RolloutState, Selector, WaveState};
use ack_domain::{DomainError, RolloutId};
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;

/// A matched cluster with the add-on installed: id, Kubernetes version, cluster state and the
/// add-on's version.
pub type CandidateRow = (String, String, String, String);

impl Store {
    /// The account's clusters the selector matches that have `addon` installed, in cluster-id
    /// order, and for each the installed versions of the `required` add-ons.
    pub async fn rollout_candidates(
        &self,
        account: &str,
        addon: &str,
        sel: &Selector,
        required: &[String],
    ) -> Res<(Vec<CandidateRow>, HashMap<String, Vec<(String, String)>>)> {
        let mut binds: Vec<String> = vec![account.to_string(), addon.to_string()];
        let mut sql = String::from(
            "SELECT c.cluster_id, c.kubernetes_version, c.state, i.version FROM clusters c
             JOIN addon_instances i ON i.cluster_id = c.cluster_id AND i.name = $2 WHERE c.account = $1",
        );
        let any_of = |sql: &mut String,
                      binds: &mut Vec<String>,
                      values: &[String],
                      expr: &dyn Fn(usize) -> String| {
            if values.is_empty() {
                return;
            }
            let parts: Vec<String> = values
                .iter()
                .map(|v| {
                    binds.push(v.clone());
                    expr(binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
        };
        any_of(&mut sql, &mut binds, &sel.cluster_ids, &|n| {
            format!("c.cluster_id = ${n}")
        });
        any_of(&mut sql, &mut binds, &sel.region_ids, &|n| {
            format!("c.region_id = ${n}")
        });
        any_of(&mut sql, &mut binds, &sel.kubernetes_versions, &|n| {
            format!("substr(c.kubernetes_version, 1, length(${n})) = ${n}")
        });
        any_of(&mut sql, &mut binds, &sel.versions, &|n| {
            format!("i.version = ${n}")
        });
        for (k, v) in &sel.tags {
            binds.push(k.clone());
            binds.push(v.clone());
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM cluster_tags t WHERE t.cluster_id = c.cluster_id AND t.tag_key = ${} AND t.tag_value = ${})",
                binds.len() - 1,
                binds.len()
            ));
        }
        sql.push_str(" ORDER BY c.cluster_id");
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows: Vec<CandidateRow> = q.fetch_all(&self.pool).await.map_err(unavailable)?;
        let mut others: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for name in required {
            let got: Vec<(String, String)> = sqlx::query_as(
                "SELECT i.cluster_id, i.version FROM addon_instances i JOIN clusters c ON c.cluster_id = i.cluster_id
                 WHERE c.account = $1 AND i.name = $2",
            )
            .bind(account)
            .bind(name)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
            for (cid, v) in got {
                others.entry(cid).or_default().push((name.clone(), v));
            }
        }
        Ok((rows, others))
    }

    /// Records a new rollout with its waves and members, or refuses a second live one of the
    /// same add-on in the account (a unique index decides a race).
    pub async fn create_rollout(
        &self,
        r: &RolloutRecord,
        waves: &[usize],
        members: &[MemberRecord],
    ) -> Res<()> {
        let (_turn, mut tx) = self.write_tx().await?;
        let live: Option<String> = sqlx::query_scalar(
            "SELECT rollout_id FROM rollouts WHERE account = $1 AND addon = $2 AND live = 1",
        )
        .bind(&r.account)
        .bind(&r.addon)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let busy = |rollout: String| DomainError::RolloutBusy {
            addon: r.addon.clone(),
            rollout,
        };
        if let Some(first) = live {
            return Err(busy(first));
        }
        let ins = sqlx::query(
            "INSERT INTO rollouts (rollout_id, account, addon, version, config, selector, strategy, state, live, current_wave,
               wave_count, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 0, $9, $10, $11)",
        )
        .bind(r.id.as_str())
        .bind(&r.account)
        .bind(&r.addon)
        .bind(&r.version)
        .bind(&r.config)
        .bind(to_json(&r.selector))
        .bind(to_json(&r.strategy))
        .bind(r.state.as_str())
        .bind(i64::try_from(waves.len()).unwrap_or(i64::MAX))
        .bind(r.created_ms)
        .bind(r.updated_ms)
        .execute(&mut *tx)
        .await;
        if let Err(e) = ins {
            if matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()) {
                return Err(busy("started concurrently".into()));
            }
            return Err(unavailable(e));
        }
        let wave_rows: Vec<(usize, usize)> = waves.iter().copied().enumerate().collect();
        for chunk in wave_rows.chunks(MAX_ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO rollout_waves (rollout_id, idx, size, state) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (i, n) in chunk {
                q = q
                    .bind(r.id.as_str())
                    .bind(*i as i64)
                    .bind(*n as i64)
                    .bind(WaveState::Pending.as_str());
            }
            q.execute(&mut *tx).await.map_err(unavailable)?;
        }
        for chunk in members.chunks(MAX_ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO rollout_clusters (rollout_id, cluster_id, wave, state, from_version, to_version, message) VALUES {}",
                values_placeholders(self.backend, chunk.len(), 7)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for m in chunk {
                q = q
                    .bind(r.id.as_str())
                    .bind(m.cluster_id.as_str())
                    .bind(m.wave.map_or(-1, |w| w as i64))
                    .bind(m.state.as_str())
                    .bind(&m.from_version)
                    .bind(&m.to_version)
                    .bind(&m.message);
            }
            q.execute(&mut *tx).await.map_err(unavailable)?;
        }
        let what = format!(
            "{} to {} on {} clusters in {} waves",
            r.addon,
            r.version,
            members.len(),
            waves.len()
        );
        log_rollout(
            &mut tx,
            r.id.as_str(),
            Logged::new("rollout.created", "running", "RolloutCreated", &what),
            r.created_ms,
        )
        .await?;
        tx.commit().await.map_err(unavailable)
    }

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

    /// Pause, resume or cancel (`verb` is `paused`, `resumed` or `canceled`). A pause stops new
    /// cluster tasks; a cancel is carried out by the driver, which cancels the running ones.
    pub async fn control_rollout(
        &self,
        account: &str,
        id: &RolloutId,
        verb: &str,
        now_ms: i64,
    ) -> Res<()> {
        let (_turn, mut tx) = self.write_tx().await?;
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT state, control FROM rollouts WHERE rollout_id = $1 AND account = $2",
        )
        .bind(id.as_str())
        .bind(account)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some((state, control)) = row else {
            return Err(DomainError::RolloutNotFound(id.to_string()));
        };
        let st = RolloutState::parse(&state).ok_or_else(|| corrupt("rollout state", &state))?;
        let refuse = |state: &str| DomainError::RolloutState {
            rollout: id.to_string(),
            state: state.into(),
            action: verb.into(),
        };
        if st.is_terminal() {
            return Err(refuse(&state));
        }
        if control == "cancel" {
            return if verb == "canceled" {
                Ok(())
            } else {
                Err(refuse("being canceled"))
            };
        }
        let logged = match (verb, st) {
            ("paused", RolloutState::Running) => Some((
                "rollout.paused",
                "paused",
                "RolloutPaused",
                "paused by request",
            )),
            ("resumed", RolloutState::Paused) => Some((
                "rollout.resumed",
                "running",
                "RolloutResumed",
                "resumed by request",
            )),
            _ => None,
        };
        if let Some((kind, state, reason, message)) = logged {
            log_rollout(
                &mut tx,
                id.as_str(),
                Logged::new(kind, state, reason, message),
                now_ms,
            )
            .await?;
        }
        let sql = match (verb, st) {
            ("paused", RolloutState::Running) => {
                "UPDATE rollouts SET state = 'paused', updated_ms = $1 WHERE rollout_id = $2"
            }
            ("resumed", RolloutState::Paused) => {
                "UPDATE rollouts SET state = 'running', updated_ms = $1 WHERE rollout_id = $2"
            }
            ("canceled", _) => {
                "UPDATE rollouts SET control = 'cancel', updated_ms = $1 WHERE rollout_id = $2"
            }
            _ => return Ok(()),
        };
        sqlx::query(sql)
            .bind(now_ms)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}
