//! Rollout rows ↔ domain records. A row that does not parse is a corrupt store.

use super::Res;
use ack_domain::fleet::{Counts, MemberRecord, RolloutRecord, WaveRecord};
use ack_domain::rollout::{MemberState, RolloutState, WaveState, parse_soak};
use ack_domain::{ClusterId, DomainError, RolloutId, TaskId};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn corrupt(what: &str, v: &str) -> DomainError {
    DomainError::Internal(format!("stored {what} {v:?} does not parse"))
}

pub(crate) fn rollout_row(row: &AnyRow) -> Res<RolloutRecord> {
    let get_s = |c: &str| -> Res<String> {
        row.try_get(c)
            .map_err(|e| DomainError::Internal(format!("{c}: {e}")))
    };
    let get_i = |c: &str| -> Res<i64> {
        row.try_get(c)
            .map_err(|e| DomainError::Internal(format!("{c}: {e}")))
    };
    let state = get_s("state")?;
    let selector = get_s("selector")?;
    let strategy = get_s("strategy")?;
    let mut strategy: ack_domain::rollout::Strategy =
        serde_json::from_str(&strategy).map_err(|_| corrupt("strategy", &strategy))?;
    strategy.soak_ms = parse_soak(&strategy.soak)?;
    Ok(RolloutRecord {
        id: RolloutId::parse(&get_s("rollout_id")?)?,
        account: get_s("account")?,
        addon: get_s("addon")?,
        version: get_s("version")?,
        config: row
            .try_get("config")
            .map_err(|e| DomainError::Internal(format!("config: {e}")))?,
        selector: serde_json::from_str(&selector).map_err(|_| corrupt("selector", &selector))?,
        strategy,
        state: RolloutState::parse(&state).ok_or_else(|| corrupt("rollout state", &state))?,
        canceling: get_s("control")? == "cancel",
        tripped: get_i("tripped")? != 0,
        current_wave: usize::try_from(get_i("current_wave")?).unwrap_or(0),
        wave_count: usize::try_from(get_i("wave_count")?).unwrap_or(0),
        created_ms: get_i("created_ms")?,
        updated_ms: get_i("updated_ms")?,
        finished_ms: row
            .try_get("finished_ms")
            .map_err(|e| DomainError::Internal(format!("finished_ms: {e}")))?,
        error_code: get_s("error_code")?,
        error_message: get_s("error_message")?,
    })
}

pub(crate) fn wave_row(row: &AnyRow) -> Res<WaveRecord> {
    let e = |e: sqlx::Error| DomainError::Internal(e.to_string());
    let state: String = row.try_get("state").map_err(e)?;
    Ok(WaveRecord {
        index: usize::try_from(row.try_get::<i64, _>("idx").map_err(e)?).unwrap_or(0),
        size: usize::try_from(row.try_get::<i64, _>("size").map_err(e)?).unwrap_or(0),
        state: WaveState::parse(&state).ok_or_else(|| corrupt("wave state", &state))?,
        started_ms: row.try_get("started_ms").map_err(e)?,
        finished_ms: row.try_get("finished_ms").map_err(e)?,
    })
}

pub(crate) fn member_row(row: &AnyRow) -> Res<MemberRecord> {
    let e = |e: sqlx::Error| DomainError::Internal(e.to_string());
    let state: String = row.try_get("state").map_err(e)?;
    let wave: i64 = row.try_get("wave").map_err(e)?;
    let task: String = row.try_get("task_id").map_err(e)?;
    Ok(MemberRecord {
        cluster_id: ClusterId::parse(&row.try_get::<String, _>("cluster_id").map_err(e)?)?,
        wave: usize::try_from(wave).ok(),
        state: MemberState::parse(&state).ok_or_else(|| corrupt("member state", &state))?,
        from_version: row.try_get("from_version").map_err(e)?,
        to_version: row.try_get("to_version").map_err(e)?,
        task_id: (!task.is_empty())
            .then(|| TaskId::parse(&task))
            .transpose()?,
        message: row.try_get("message").map_err(e)?,
    })
}

/// Members by state, from `(state, count)` rows.
pub(crate) fn counts_of(rows: Vec<(String, i64)>) -> Res<Counts> {
    let mut c = Counts::default();
    for (state, n) in rows {
        let s = MemberState::parse(&state).ok_or_else(|| corrupt("member state", &state))?;
        c.add(s, u64::try_from(n).unwrap_or(0));
    }
    Ok(c)
}
