//! What a handler gets: the caller's account, decoded path parameters and query, the body.

use crate::error::ApiError;
use ack_domain::{AddonName, ClusterId, RolloutId, TaskId};

pub struct Ctx {
    pub account: String,
    pub params: Vec<(String, String)>,
    pub query: Vec<(String, String)>,
    pub body: axum::body::Bytes,
    pub now: i64,
    pub request_id: String,
    /// The `Last-Event-ID` header, which a reconnecting event-stream client sends.
    pub last_event_id: Option<String>,
}

impl Ctx {
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn cluster_id(&self) -> Result<ClusterId, ApiError> {
        Ok(ClusterId::parse(self.param("cluster_id"))?)
    }

    pub fn rollout_id(&self) -> Result<RolloutId, ApiError> {
        Ok(RolloutId::parse(self.param("rollout_id"))?)
    }

    pub fn task_id(&self) -> Result<TaskId, ApiError> {
        Ok(TaskId::parse(self.param("task_id"))?)
    }

    /// The add-on named by whichever path parameter this route uses.
    pub fn addon_name(&self) -> Result<AddonName, ApiError> {
        let raw = ["component_id", "addon_name", "instance_name"]
            .iter()
            .map(|n| self.param(n))
            .find(|v| !v.is_empty())
            .unwrap_or("");
        Ok(AddonName::parse(raw)?)
    }

    /// No query value holds a control character: the filters reach SQL, and PostgreSQL refuses
    /// a NUL in text with an error, which must be the caller's 400 rather than our 500.
    pub fn check_query(&self) -> Result<(), ApiError> {
        match self
            .query
            .iter()
            .find(|(k, v)| k.chars().chain(v.chars()).any(char::is_control))
        {
            Some((k, _)) => Err(ApiError::invalid(k, "it holds a control character")),
            None => Ok(()),
        }
    }

    /// The first value of a query parameter; an empty value counts as absent.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn query_any(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.query(n))
    }

    pub fn query_u32(&self, name: &str, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
        // The SDKs send each once; given twice, which one the caller meant is a guess.
        if self.query.iter().filter(|(k, _)| k == name).count() > 1 {
            return Err(ApiError::invalid(name, "it is given more than once"));
        }
        match self.query(name) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::invalid(
                    name,
                    format!("{v:?} is not a whole number from {min} to {max}"),
                )),
            },
        }
    }

    /// `page_number` (from 1) and `page_size` (1 to `max_size`, `default_size` when absent).
    pub fn page(&self, default_size: u32, max_size: u32) -> Result<(u32, u32), ApiError> {
        let page_size = self.query_u32("page_size", default_size, 1, max_size)?;
        let page_number = self.query_u32("page_number", 1, 1, 1_000_000)?;
        Ok((page_number, page_size))
    }

    /// A JSON array of strings in one query parameter (`componentIds=["a","b"]`).
    pub fn query_json_strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.query(name) {
            None => Ok(None),
            Some(v) => serde_json::from_str::<Vec<String>>(v)
                .map(Some)
                .map_err(|_| {
                    ApiError::invalid(name, format!("{v:?} is not a JSON array of strings"))
                }),
        }
    }

    /// A body that must be one JSON object (serde would otherwise take an array for a struct).
    pub fn json_object<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        let value: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::invalid("body", format!("it is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::invalid("body", "it must be a JSON object"));
        }
        serde_json::from_value(value)
            .map_err(|e| ApiError::invalid("body", format!("not the expected JSON: {e}")))
    }
}
