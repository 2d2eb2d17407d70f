//! Signed calls over plain HTTP/1.1: every request is signed with ACS3-HMAC-SHA256 and a nonce of
//! its own (the server refuses a nonce seen again), exactly as the tea SDKs sign.

use crate::creds::Credentials;
use crate::error::CliError;
use crate::request::Request;
use ack_wire::sign::sign_acs3;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as Http;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::time::Duration;

/// Longer than any answer takes; a server that stops answering should not hang a script.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Client {
    http: Http<HttpConnector, Full<Bytes>>,
    authority: String,
    creds: Credentials,
}

/// `http://HOST:PORT[/]` or `HOST:PORT` (the SDKs' form) to `HOST:PORT`.
pub fn authority(endpoint: &str) -> Result<String, CliError> {
    let e = endpoint.trim();
    if e.starts_with("https://") {
        return Err(CliError::other(format!(
            "{e}: https endpoints are not supported (this client speaks plain HTTP only)"
        )));
    }
    let rest = e.strip_prefix("http://").unwrap_or(e);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) || rest.contains("://") {
        return Err(CliError::other(format!(
            "{e:?} is not an endpoint: expected http://HOST:PORT"
        )));
    }
    Ok(rest.to_string())
}

/// hyper's errors say only what failed ("client error (Connect)"); their sources say why.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

impl Client {
    pub fn new(endpoint: &str, creds: Credentials) -> Result<Self, CliError> {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(10)));
        Ok(Self {
            http: Http::builder(TokioExecutor::new()).build(connector),
            authority: authority(endpoint)?,
            creds,
        })
    }

    fn signed(&self, req: &Request) -> Result<hyper::Request<Full<Bytes>>, CliError> {
        let path = req.path()?;
        let query = req.raw_query();
        let body = match &req.body {
            Some(v) => serde_json::to_vec(v).map_err(|e| CliError::other(e.to_string()))?,
            None => Vec::new(),
        };
        let mut headers = vec![
            ("host".to_string(), self.authority.clone()),
            ("x-acs-action".to_string(), req.action.name().to_string()),
            ("x-acs-version".to_string(), "2015-12-15".to_string()),
            (
                "x-acs-date".to_string(),
                humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            ),
            (
                "x-acs-signature-nonce".to_string(),
                uuid::Uuid::new_v4().simple().to_string(),
            ),
            ("accept".to_string(), "application/json".to_string()),
        ];
        if req.body.is_some() {
            headers.push((
                "content-type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ));
        }
        sign_acs3(
            req.method(),
            &path,
            &query,
            &mut headers,
            &body,
            &self.creds.access_key_id,
            &self.creds.secret,
        );
        let uri = if query.is_empty() {
            format!("http://{}{path}", self.authority)
        } else {
            format!("http://{}{path}?{query}", self.authority)
        };
        let mut b = hyper::Request::builder().method(req.method()).uri(uri);
        for (n, v) in &headers {
            b = b.header(n.as_str(), v.as_str());
        }
        b.body(Full::new(Bytes::from(body)))
            .map_err(|e| CliError::other(format!("cannot build the request: {e}")))
    }

    async fn send(&self, req: &Request) -> Result<hyper::Response<Incoming>, CliError> {
        let r = self.signed(req)?;
        self.http.request(r).await.map_err(|e| {
            CliError::other(format!(
                "cannot reach http://{} ({}): {}",
                self.authority,
                req.action.name(),
                with_causes(&e)
            ))
        })
    }

    async fn read_body(&self, resp: hyper::Response<Incoming>) -> Result<(u16, Bytes), CliError> {
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| CliError::other(format!("the answer broke off: {e}")))?
            .to_bytes();
        Ok((status, body))
    }

    /// One call; a refusal becomes `CliError::Api` with the server's code and message.
    pub async fn call(&self, req: &Request) -> Result<Value, CliError> {
        let once = async {
            let resp = self.send(req).await?;
            self.read_body(resp).await
        };
        let (status, body) = tokio::time::timeout(CALL_TIMEOUT, once)
            .await
            .map_err(|_| {
                CliError::other(format!(
                    "{} got no answer within {}s",
                    req.action.name(),
                    CALL_TIMEOUT.as_secs()
                ))
            })??;
        if !(200..300).contains(&status) {
            return Err(CliError::from_answer(status, &body));
        }
        if body.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&body).map_err(|e| {
            CliError::other(format!(
                "{} answered something that is not JSON: {e}",
                req.action.name()
            ))
        })
    }

    /// A call whose answer is read as it comes (the event stream); refusals as in `call`.
    pub async fn open(&self, req: &Request) -> Result<Incoming, CliError> {
        let resp = self.send(req).await?;
        if !resp.status().is_success() {
            let (status, body) = self.read_body(resp).await?;
            return Err(CliError::from_answer(status, &body));
        }
        Ok(resp.into_body())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_in_the_sdk_form_or_with_http_are_taken() {
        assert_eq!(
            authority("http://127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080"
        );
        assert_eq!(authority("http://h:1/").unwrap(), "h:1");
        assert_eq!(authority("127.0.0.1:9").unwrap(), "127.0.0.1:9");
        let e = authority("https://cs.aliyuncs.com")
            .unwrap_err()
            .to_string();
        assert!(e.contains("https endpoints are not supported"), "{e}");
        assert!(authority("http://h:1/api").is_err());
        assert!(authority("ftp://h").is_err());
        assert!(authority("").is_err());
    }
}
