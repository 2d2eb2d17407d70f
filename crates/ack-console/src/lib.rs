//! The web console at `/console/`: server-rendered pages (maud) with a little plain JavaScript,
//! assets embedded in the binary. Every read and change goes through `ack_server::invoke`, the
//! same handlers as the signed API, for the logged-in key's account only.

mod api;
mod assets;
mod layout;
mod live;
mod pages;
mod session;

use ack_server::AppState;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// How long a login lasts.
pub const SESSION_TTL_SECS: i64 = 12 * 60 * 60;

/// What every console handler gets: the API's state, and the CSRF token that stands in for a
/// session's when the server runs with `--auth off` (there is no login then).
pub struct Console {
    pub app: AppState,
    open_csrf: String,
}

pub type Shared = Arc<Console>;

/// The console's routes, to merge into the API's router.
pub fn router(app: AppState) -> Router {
    let console: Shared = Arc::new(Console {
        app,
        open_csrf: session::random_token(),
    });
    Router::new()
        .route("/console", get(|| async { layout::see_other("/console/") }))
        .route("/console/", get(pages::fleet::page))
        .route(
            "/console/login",
            get(session::login_form).post(session::login),
        )
        .route("/console/logout", post(session::logout))
        .route("/console/assets/{name}", get(assets::serve))
        .route("/console/events", get(live::events))
        .route("/console/clusters", get(pages::clusters::page))
        .route("/console/clusters/{id}", get(pages::cluster::page))
        .route(
            "/console/clusters/{id}/upgrade",
            post(pages::cluster::upgrade),
        )
        .route(
            "/console/clusters/{id}/addons/{addon}/config",
            get(pages::config::page).post(pages::config::submit),
        )
        .route("/console/tasks/{id}", get(pages::task::page))
        .route("/console/tasks/{id}/control", post(pages::task::control))
        .route(
            "/console/rollouts",
            get(pages::rollouts::index).post(pages::rollouts::create),
        )
        .route("/console/rollouts/new", get(pages::rollouts::new))
        .route("/console/rollouts/{id}", get(pages::rollout::page))
        .route(
            "/console/rollouts/{id}/control",
            post(pages::rollout::control),
        )
        .with_state(console)
}
