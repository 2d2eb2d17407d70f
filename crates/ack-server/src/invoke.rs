//! One action run for an account already known, past the signature check: how the console
//! calls the API. It goes through the same handlers as a signed request, so the console is a
//! view on the API, not a second implementation of it.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::handlers::dispatch;
use crate::respond::{Reply, new_request_id};
use crate::state::AppState;
use ack_wire::Action;

/// What the call names besides its action: path parameters, query and body.
#[derive(Default)]
pub struct Call {
    pub params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub last_event_id: Option<String>,
}

pub async fn invoke(
    st: &AppState,
    action: Action,
    account: &str,
    call: Call,
) -> Result<Reply, ApiError> {
    let started = std::time::Instant::now();
    let ctx = Ctx {
        account: account.to_string(),
        params: call.params,
        query: call.query,
        body: call.body.into(),
        now: st.clock.now(),
        request_id: new_request_id(),
        last_event_id: call.last_event_id,
    };
    let result = dispatch(st, action, &ctx).await;
    let code = result.as_ref().err().map_or("", |e| e.code.as_str());
    st.metrics
        .observe(action.name(), code, started.elapsed().as_secs_f64());
    result
}
