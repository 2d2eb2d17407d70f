//! Fleet rollouts: CreateAddonRollout (checked, members and waves fixed at once), the reads, and
//! pause, resume and cancel. The driver (`ack-rollout`) does the rest.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::fleet::{Counts, MemberRecord, RolloutRecord, WaveRecord};
use ack_domain::lifecycle::resolved_config;
use ack_domain::rollout::{MemberState, RolloutSpec, RolloutState};
use ack_domain::{ClusterId, DomainError, RolloutId};
use ack_rollout::plan::{self, Candidate};
use ack_wire::dto::{
    PageInfo, RolloutCounts, RolloutCreated, RolloutError, RolloutInfo, RolloutMember,
    RolloutMembersPage, RolloutPlan, RolloutWave, RolloutsPage, SkipReason,
};
use ack_wire::time::rfc3339_ms_or_zero;

fn info(r: &RolloutRecord, waves: Option<&[WaveRecord]>, c: &Counts) -> RolloutInfo {
    RolloutInfo {
        rollout_id: r.id.to_string(),
        addon: r.addon.clone(),
        version: r.version.clone(),
        config: r.config.clone().unwrap_or_default(),
        state: r.state.as_str().into(),
        created: rfc3339_ms_or_zero(Some(r.created_ms)),
        updated: rfc3339_ms_or_zero(Some(r.updated_ms)),
        finished: rfc3339_ms_or_zero(r.finished_ms),
        selector: serde_json::to_value(&r.selector).unwrap_or_default(),
        strategy: serde_json::to_value(&r.strategy).unwrap_or_default(),
        current_wave: i64::try_from(r.current_wave).unwrap_or(0),
        waves: waves.map(|ws| {
            ws.iter()
                .map(|w| RolloutWave {
                    index: i64::try_from(w.index).unwrap_or(0),
                    size: i64::try_from(w.size).unwrap_or(0),
                    state: w.state.as_str().into(),
                    started: rfc3339_ms_or_zero(w.started_ms),
                    finished: rfc3339_ms_or_zero(w.finished_ms),
                })
                .collect()
        }),
        counts: RolloutCounts {
            total: c.total(),
            pending: c.pending,
            running: c.running,
            success: c.success,
            fail: c.fail,
            skipped: c.skipped,
            canceled: c.canceled,
            rolled_back: c.rolled_back,
        },
        error: RolloutError {
            code: r.error_code.clone(),
            message: r.error_message.clone(),
        },
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub async fn create(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let body: serde_json::Value = serde_json::from_slice(&ctx.body)
        .map_err(|e| ApiError::invalid("body", format!("it is not valid JSON: {e}")))?;
    let mut spec = RolloutSpec::parse(&body)?;
    let addon = st.catalog.require(&spec.addon)?;
    let target = addon
        .version(&spec.version)
        .ok_or_else(|| DomainError::AddonNotFound {
            name: spec.addon.clone(),
            version: Some(spec.version.clone()),
        })?;
    if let Some(cfg) = &spec.config {
        spec.config = Some(resolved_config(addon, "config", cfg)?);
    }
    let required: Vec<String> = target.requires.iter().map(|r| r.name.clone()).collect();
    let (rows, others) = st
        .store
        .rollout_candidates(&ctx.account, &spec.addon, &spec.selector, &required)
        .await?;
    let candidates = rows
        .into_iter()
        .map(|(id, kube, state, version)| {
            Ok(Candidate {
                others: others.get(&id).cloned().unwrap_or_default(),
                cluster_id: ClusterId::parse(&id)?,
                kubernetes_version: kube,
                state,
                version,
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    let (members, waves) = plan::members(
        &st.catalog,
        &spec.addon,
        &spec.version,
        &spec.strategy,
        candidates,
    )?;
    if spec.dry_run {
        return Reply::json(&plan_of(&members, &waves, &ctx.request_id));
    }
    let to_change = waves.iter().sum::<usize>();
    if !spec.max_parallel_given {
        spec.strategy.max_parallel =
            u32::try_from(spec.strategy.wave_len(to_change)).unwrap_or(u32::MAX);
    }
    let now = now_ms();
    let record = RolloutRecord {
        id: RolloutId::generate(),
        account: ctx.account.clone(),
        addon: spec.addon,
        version: spec.version,
        config: spec.config,
        selector: spec.selector,
        strategy: spec.strategy,
        state: RolloutState::Running,
        canceling: false,
        tripped: false,
        current_wave: 0,
        wave_count: waves.len(),
        created_ms: now,
        updated_ms: now,
        finished_ms: None,
        error_code: String::new(),
        error_message: String::new(),
    };
    st.store.create_rollout(&record, &waves, &members).await?;
    st.signals.wake_rollouts();
    Reply::json(&RolloutCreated {
        rollout_id: record.id.to_string(),
        request_id: ctx.request_id.clone(),
        total: members.len() as u64,
    })
}

fn plan_of(members: &[MemberRecord], waves: &[usize], request_id: &str) -> RolloutPlan {
    let mut reasons: Vec<SkipReason> = Vec::new();
    for m in members.iter().filter(|m| m.state == MemberState::Skipped) {
        match reasons.iter_mut().find(|r| r.reason == m.message) {
            Some(r) => r.clusters += 1,
            None => reasons.push(SkipReason {
                reason: m.message.clone(),
                clusters: 1,
            }),
        }
    }
    reasons.sort_by(|a, b| b.clusters.cmp(&a.clusters).then(a.reason.cmp(&b.reason)));
    RolloutPlan {
        dry_run: true,
        request_id: request_id.to_string(),
        total: members.len() as u64,
        skipped: reasons.iter().map(|r| r.clusters).sum(),
        waves: waves.iter().map(|w| *w as u64).collect(),
        skip_reasons: reasons,
    }
}

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (r, waves, counts) = st.store.rollout(&ctx.account, &ctx.rollout_id()?).await?;
    Reply::json(&info(&r, Some(&waves), &counts))
}

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (page_number, page_size) = ctx.page(10, 100)?;
    let state = ctx
        .query("state")
        .map(|s| {
            RolloutState::parse(s)
                .ok_or_else(|| ApiError::invalid("state", format!("{s:?} is not a rollout state")))
        })
        .transpose()?;
    let (rows, total) = st
        .store
        .list_rollouts(
            &ctx.account,
            ctx.query("addon"),
            state,
            page_number,
            page_size,
        )
        .await?;
    Reply::json(&RolloutsPage {
        rollouts: rows.iter().map(|(r, c)| info(r, None, c)).collect(),
        page_info: PageInfo {
            page_number,
            page_size,
            total_count: total,
        },
        request_id: ctx.request_id.clone(),
    })
}

pub async fn clusters(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.rollout_id()?;
    let (page_number, page_size) = ctx.page(100, 1000)?;
    let state = ctx
        .query("state")
        .map(|s| {
            MemberState::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "state",
                    format!("{s:?} is not a cluster state of a rollout"),
                )
            })
        })
        .transpose()?;
    let wave = ctx
        .query("wave")
        .map(|w| {
            w.trim()
                .parse::<i64>()
                .ok()
                .filter(|w| (-1..=1_000_000).contains(w))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "wave",
                        format!("{w:?} is not a wave number (-1 for skipped clusters)"),
                    )
                })
        })
        .transpose()?;
    let (members, total) = st
        .store
        .rollout_members(&ctx.account, &id, state, wave, page_number, page_size)
        .await?;
    Reply::json(&RolloutMembersPage {
        clusters: members
            .into_iter()
            .map(|m| RolloutMember {
                cluster_id: m.cluster_id.to_string(),
                wave: m.wave.map_or(-1, |w| i64::try_from(w).unwrap_or(i64::MAX)),
                state: m.state.as_str().into(),
                from_version: m.from_version,
                to_version: m.to_version,
                task_id: m.task_id.map(|t| t.to_string()).unwrap_or_default(),
                message: m.message,
            })
            .collect(),
        page_info: PageInfo {
            page_number,
            page_size,
            total_count: total,
        },
        request_id: ctx.request_id.clone(),
    })
}

/// Pause, resume or cancel (`verb`: `paused`, `resumed`, `canceled`).
pub async fn control(st: &AppState, ctx: &Ctx, verb: &str) -> Result<Reply, ApiError> {
    st.store
        .control_rollout(&ctx.account, &ctx.rollout_id()?, verb, now_ms())
        .await?;
    st.signals.wake_rollouts();
    Ok(Reply::empty())
}
