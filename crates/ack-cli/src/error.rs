use std::fmt;

/// Why a command failed; `Display` is what follows `error: ` on standard error.
#[derive(Debug)]
pub enum CliError {
    /// The server refused the call: its code and message, as every SDK surfaces them.
    Api {
        code: String,
        message: String,
        status: u16,
        request_id: String,
    },
    /// An awaited task or rollout ended other than as asked.
    Ended(String),
    /// Anything else: no credentials, an unreachable server, a malformed answer.
    Other(String),
}

impl CliError {
    pub fn other(msg: impl Into<String>) -> Self {
        Self::Other(msg.into())
    }

    /// The ACK error in an answer body (lowercase keys as the tea SDKs read, else the PascalCase
    /// copies), or the bare HTTP status when the body is not an ACK error.
    pub fn from_answer(status: u16, body: &[u8]) -> Self {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let field = |a: &str, b: &str| {
            v.get(a)
                .or_else(|| v.get(b))
                .and_then(|x| x.as_str())
                .map(str::to_string)
        };
        match field("code", "Code") {
            Some(code) => Self::Api {
                code,
                message: field("message", "Message").unwrap_or_default(),
                status,
                request_id: field("requestId", "RequestId").unwrap_or_default(),
            },
            None => Self::Other(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(body).trim()
            )),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api {
                code,
                message,
                status,
                request_id,
            } => {
                write!(f, "{code}: {message} (HTTP {status}")?;
                if !request_id.is_empty() {
                    write!(f, ", request {request_id}")?;
                }
                f.write_str(")")
            }
            Self::Ended(m) | Self::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_errors_show_code_then_message() {
        let e = CliError::from_answer(
            404,
            br#"{"code":"AddonNotFound","message":"no add-on x","requestId":"r-1","status":404}"#,
        );
        assert_eq!(
            e.to_string(),
            "AddonNotFound: no add-on x (HTTP 404, request r-1)"
        );
        let legacy = CliError::from_answer(400, br#"{"Code":"InvalidParameter","Message":"m"}"#);
        assert!(matches!(legacy, CliError::Api { ref code, .. } if code == "InvalidParameter"));
        let plain = CliError::from_answer(502, b"bad gateway");
        assert_eq!(plain.to_string(), "HTTP 502: bad gateway");
    }
}
