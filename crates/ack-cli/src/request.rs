//! One API call as data (action, path parameters, query, body), so that what each subcommand
//! asks for can be tested without a server; the method and path come from the route table.

use crate::error::CliError;
use ack_wire::Action;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

/// What the signer leaves as it is (RFC 3986 unreserved), so the wire form is the canonical one.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub action: Action,
    /// Values of the route's `{…}` segments, in order.
    pub params: Vec<String>,
    /// Repeated names are sent repeatedly (DescribeFleetAddons' `tag`).
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Request {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            params: Vec::new(),
            query: Vec::new(),
            body: None,
        }
    }

    pub fn param(mut self, v: impl Into<String>) -> Self {
        self.params.push(v.into());
        self
    }

    pub fn query(mut self, k: &str, v: impl Into<String>) -> Self {
        self.query.push((k.to_string(), v.into()));
        self
    }

    /// Adds `k` only when there is a value, so the server's own default applies otherwise.
    pub fn query_opt(self, k: &str, v: Option<impl ToString>) -> Self {
        match v {
            Some(v) => self.query(k, v.to_string()),
            None => self,
        }
    }

    pub fn body(mut self, v: Value) -> Self {
        self.body = Some(v);
        self
    }

    pub fn method(&self) -> &'static str {
        self.action.route().method.as_str()
    }

    /// The route's path with each `{…}` replaced by the next parameter, percent-encoded.
    pub fn path(&self) -> Result<String, CliError> {
        let template = self.action.route().path;
        let mut out = String::with_capacity(template.len() + 40);
        let mut params = self.params.iter();
        for seg in template.split('/').skip(1) {
            out.push('/');
            if seg.starts_with('{') {
                let v = params.next().ok_or_else(|| {
                    CliError::other(format!("{} needs {seg}", self.action.name()))
                })?;
                out.extend(utf8_percent_encode(v, UNRESERVED));
            } else {
                out.push_str(seg);
            }
        }
        if params.next().is_some() {
            return Err(CliError::other(format!(
                "{} takes fewer path parameters",
                self.action.name()
            )));
        }
        Ok(out)
    }

    pub fn raw_query(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.query {
            if !out.is_empty() {
                out.push('&');
            }
            out.extend(utf8_percent_encode(k, UNRESERVED));
            out.push('=');
            out.extend(utf8_percent_encode(v, UNRESERVED));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_from_the_route_table_with_encoded_params() {
        let r = Request::new(Action::DescribeClusterAddonUpgradeStatus)
            .param("c1")
            .param("a b/c");
        assert_eq!(
            r.path().unwrap(),
            "/clusters/c1/components/a%20b%2Fc/upgradestatus"
        );
        assert_eq!(r.method(), "GET");
        assert!(Request::new(Action::DescribeTaskInfo).path().is_err());
        assert!(Request::new(Action::ListAddons).param("x").path().is_err());
    }

    #[test]
    fn query_keeps_order_and_repeats_and_encodes_values() {
        let r = Request::new(Action::DescribeFleetAddons)
            .query("tag", "env:prod")
            .query("tag", "team:a b")
            .query_opt("region_id", None::<&str>)
            .query_opt("kubernetes_version", Some("1.3"));
        assert_eq!(
            r.raw_query(),
            "tag=env%3Aprod&tag=team%3Aa%20b&kubernetes_version=1.3"
        );
    }
}
