//! Login, logout, the session cookie and CSRF tokens. A session lives in the store (every
//! replica sees it), keyed by the SHA-256 of the cookie's random token; the cookie is HttpOnly,
//! `SameSite=Strict` and expires. Every changing form carries the session's CSRF token, and the
//! login form a token of its own, paired with a short-lived cookie.

use crate::layout::{self, Page};
use crate::{Console, SESSION_TTL_SECS, Shared};
use ack_server::AuthMode;
use ack_store::SessionRecord;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

const SESSION_COOKIE: &str = "ack_console_session";
const LOGIN_COOKIE: &str = "ack_console_login";

/// Who is looking: the account every call is made for, and the token its forms carry.
pub struct Viewer {
    pub account: String,
    /// None with `--auth off`.
    pub access_key_id: Option<String>,
    pub csrf: String,
}

/// 256 random bits as hex (two version-4 UUIDs' worth of the OS's randomness).
pub fn random_token() -> String {
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    format!("{}{}", a.simple(), b.simple())
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Console {
    /// The viewer, or the page to send instead (the login form, or an error).
    pub async fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, Response> {
        if self.app.auth == AuthMode::Off {
            return Ok(Viewer {
                account: ack_server::DEFAULT_ACCOUNT.to_string(),
                access_key_id: None,
                csrf: self.open_csrf.clone(),
            });
        }
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Err(layout::see_other("/console/login"));
        };
        match self.app.store.session(&hash(token), now_ms()).await {
            Ok(Some(s)) => Ok(Viewer {
                account: s.account,
                access_key_id: Some(s.access_key_id),
                csrf: s.csrf,
            }),
            Ok(None) => Err(layout::see_other("/console/login")),
            Err(e) => Err(layout::failure(&ack_server::ApiError::from(e), None)),
        }
    }
}

impl Viewer {
    /// A changing form must carry the session's CSRF token: the refusal when it does not.
    pub fn refused(&self, form: &HashMap<String, String>) -> Option<Response> {
        match form.get("csrf") {
            Some(t) if same(t, &self.csrf) => None,
            _ => Some(forbidden()),
        }
    }
}

/// Every page handler takes its viewer as an argument; without a session the answer is the
/// login form.
impl FromRequestParts<Shared> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, c: &Shared) -> Result<Self, Response> {
        c.viewer(&parts.headers).await
    }
}

fn forbidden() -> Response {
    let page = Page::new("Refused").body(html! {
        h1 { "Refused" }
        p role="alert" { "The form's CSRF token is missing or wrong. Reload the page and try again." }
    });
    (StatusCode::FORBIDDEN, page.render(None)).into_response()
}

fn login_page(token: &str, error: Option<&str>, status: StatusCode) -> Response {
    let page = Page::new("Log in").body(html! {
        h1 { "Log in to ack-addons" }
        @if let Some(e) = error {
            p.error role="alert" id="login-error" { "Error: " (e) }
        }
        form method="post" action="/console/login" {
            input type="hidden" name="csrf" value=(token);
            p {
                label for="access_key_id" { "AccessKey ID" }
                input id="access_key_id" name="access_key_id" autocomplete="username" required;
            }
            p {
                label for="access_key_secret" { "AccessKey secret" }
                input id="access_key_secret" name="access_key_secret" type="password"
                    autocomplete="current-password" required;
            }
            button type="submit" { "Log in" }
        }
    });
    let mut r = (status, page.render(None)).into_response();
    set_cookie(
        &mut r,
        &format!(
            "{LOGIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console/login; Max-Age=900"
        ),
    );
    r
}

fn set_cookie(r: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

pub async fn login_form(State(c): State<Shared>) -> Response {
    if c.app.auth == AuthMode::Off {
        return layout::see_other("/console/");
    }
    login_page(&random_token(), None, StatusCode::OK)
}

pub async fn login(
    State(c): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if c.app.auth == AuthMode::Off {
        return layout::see_other("/console/");
    }
    let paired = match (cookie(&headers, LOGIN_COOKIE), form.get("csrf")) {
        (Some(a), Some(b)) => same(a, b),
        _ => false,
    };
    if !paired {
        return forbidden();
    }
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let Some(account) = c
        .app
        .keys
        .login(field("access_key_id"), field("access_key_secret"))
    else {
        return login_page(
            &random_token(),
            Some("that AccessKey ID and secret do not match a configured key"),
            StatusCode::UNAUTHORIZED,
        );
    };
    let token = random_token();
    let now = now_ms();
    let record = SessionRecord {
        account,
        access_key_id: field("access_key_id").to_string(),
        csrf: random_token(),
        created_ms: now,
        expires_ms: now + SESSION_TTL_SECS * 1000,
    };
    if let Err(e) = c.app.store.create_session(&hash(&token), &record).await {
        return layout::failure(&ack_server::ApiError::from(e), None);
    }
    tracing::info!(access_key_id = %record.access_key_id, "console login");
    let mut r = layout::see_other("/console/");
    set_cookie(
        &mut r,
        &format!(
            "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={SESSION_TTL_SECS}"
        ),
    );
    set_cookie(
        &mut r,
        &format!("{LOGIN_COOKIE}=; Path=/console/login; Max-Age=0"),
    );
    r
}

pub async fn logout(
    State(c): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match c.viewer(&headers).await {
        Ok(v) => {
            if let Some(r) = v.refused(&form) {
                return r;
            }
        }
        Err(r) => return r,
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = c.app.store.delete_session(&hash(token)).await
    {
        return layout::failure(&ack_server::ApiError::from(e), None);
    }
    let mut r = layout::see_other("/console/login");
    set_cookie(
        &mut r,
        &format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others_and_tokens_compare_whole() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; ack_console_session=tok; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, LOGIN_COOKIE), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(hash(&a), a, "only the hash is stored");
    }
}
