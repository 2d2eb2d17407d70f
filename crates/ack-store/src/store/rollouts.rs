//! Rollouts as the API writes them: the candidates a selector matches, creating one with its
//! waves and members in one transaction, and pause, resume and cancel. Reading and listing are in
//! `rollout_reads.rs`; what the driver reads and writes is in `drive.rs`.

use super::events::{Logged, log_rollout};
use super::rollout_rows::corrupt;
use super::{MAX_ROWS_PER_INSERT, Res, Store, values_placeholders};
use crate::unavailable;
use ack_domain::fleet::{MemberRecord, RolloutRecord};
use ack_domain::rollout::{RolloutState, Selector, WaveState};
use ack_domain::{DomainError, RolloutId};
use sqlx::AssertSqlSafe;
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
