//! The page shell (navigation, account, logout), error pages, redirects, and the small pieces
//! every page uses: a state shown as a word and a symbol (never by colour alone), a form's CSRF
//! field, a button that posts.

use crate::session::Viewer;
use ack_server::ApiError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

pub struct Page {
    title: String,
    body: Markup,
    /// The page's live region is refreshed from this event stream URL.
    live: Option<String>,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            body: PreEscaped(String::new()),
            live: None,
        }
    }

    pub fn body(mut self, body: Markup) -> Self {
        self.body = body;
        self
    }

    pub fn live(mut self, stream: String) -> Self {
        self.live = Some(stream);
        self
    }

    pub fn render(self, viewer: Option<&Viewer>) -> Response {
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · ack-addons" }
                    link rel="stylesheet" href="/console/assets/console.css";
                    script src="/console/assets/console.js" defer {}
                }
                body data-stream=[self.live.as_deref()]
                    data-types=(ack_domain::event::EVENT_TYPES.join(" ")) {
                    a.skip href="#main" { "Skip to content" }
                    @if let Some(v) = viewer {
                        header {
                            nav aria-label="Main" {
                                a href="/console/" { "Fleet" }
                                a href="/console/clusters" { "Clusters" }
                                a href="/console/rollouts" { "Rollouts" }
                            }
                            p.who {
                                "Account " strong { (v.account) }
                                @if let Some(k) = &v.access_key_id { " (key " (k) ")" }
                            }
                            @if v.access_key_id.is_some() {
                                form method="post" action="/console/logout" {
                                    (csrf(v))
                                    button type="submit" { "Log out" }
                                }
                            }
                        }
                    }
                    main id="main" { (self.body) }
                }
            }
        };
        html_response(StatusCode::OK, markup.into_string())
    }
}

pub fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Only our own script and style, no framing, no sniffing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// 303 to `to`: the answer to every form post, so that reloading repeats nothing.
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The API's refusal as a page, with its status, code and message.
pub fn failure(e: &ApiError, viewer: Option<&Viewer>) -> Response {
    let page = Page::new(e.code.as_str()).body(html! {
        h1 { "Refused" }
        p role="alert" { strong { (e.code.as_str()) } ": " (e.message) }
        p { a href="/console/" { "Back to the fleet" } }
    });
    let mut r = page.render(viewer);
    *r.status_mut() = StatusCode::from_u16(e.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    r
}

pub fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(v.csrf); }
}

/// A one-button form that posts `op` to `action`.
pub fn button(v: &Viewer, action: &str, op: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(v))
            input type="hidden" name="op" value=(op);
            button type="submit" { (label) }
        }
    }
}

/// The pause, resume and cancel buttons that suit a task's or rollout's state (`noun` names it
/// on the buttons when the page holds more than one kind).
pub fn controls(v: &Viewer, action: &str, state: &str, noun: &str) -> Markup {
    let label = |verb: &str| {
        if noun.is_empty() {
            verb.to_string()
        } else {
            format!("{verb} {noun}")
        }
    };
    html! {
        @match state {
            "running" => { (button(v, action, "pause", &label("Pause"))) (button(v, action, "cancel", &label("Cancel"))) }
            "paused" => { (button(v, action, "resume", &label("Resume"))) (button(v, action, "cancel", &label("Cancel"))) }
            _ => {}
        }
    }
}

/// A state as a word with a symbol, so that it never rests on colour.
pub fn state(word: &str) -> Markup {
    let symbol = match word.to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "running_ok" | "delivered" => "✓",
        "fail" | "failed" | "unhealthy" | "rollbackfailed" => "✗",
        "running" | "upgrading" | "installing" | "rolling_back" => "↻",
        "paused" => "‖",
        "canceled" | "cancelled" | "skipped" => "–",
        "pending" | "waiting" => "…",
        _ => "•",
    };
    let class = format!("state state-{}", word.to_ascii_lowercase());
    html! { span class=(class) { span aria-hidden="true" { (symbol) " " } (word) } }
}

/// `key=value&…` for a link, skipping empty values.
pub fn query(kv: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in kv.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    q.finish()
}

/// A time as the API gives it, or a dash for its "never" (the zero time).
pub fn when(t: &str) -> &str {
    if t.is_empty() || t.starts_with("0001-01-01") {
        "—"
    } else {
        t
    }
}
