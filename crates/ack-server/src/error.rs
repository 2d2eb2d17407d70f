//! `ApiError`: an ACK error code plus a message. `From<DomainError>` is the one exhaustive
//! mapping from what went wrong to what the client sees.

use ack_domain::DomainError;
use ack_wire::ErrorCode;
use ack_wire::sign::AuthError;

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Milliseconds the caller should wait (`x-acs-retry-after`), when throttled.
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    pub fn invalid(param: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            format!("{param} is invalid: {reason}"),
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let code = match &e {
            DomainError::ClusterNotFound(_) => ErrorCode::ErrorClusterNotFound,
            DomainError::AddonNotFound { .. } => ErrorCode::AddonNotFound,
            DomainError::TaskNotFound(_) => ErrorCode::ErrorTaskNotFound,
            DomainError::InvalidParameter { .. } => ErrorCode::InvalidParameter,
            DomainError::ClusterState { .. } => ErrorCode::ErrorClusterState,
            DomainError::AddonAlreadyInstalled(_) => ErrorCode::AddonAlreadyInstalled,
            DomainError::AddonBusy { .. } => ErrorCode::AddonTaskInProgress,
            DomainError::TaskState { .. } => ErrorCode::ErrorTaskState,
            DomainError::RolloutNotFound(_) => ErrorCode::ErrorRolloutNotFound,
            DomainError::WebhookNotFound(_) => ErrorCode::ErrorWebhookNotFound,
            DomainError::RolloutState { .. } => ErrorCode::ErrorRolloutState,
            DomainError::RolloutBusy { .. } => ErrorCode::RolloutInProgress,
            DomainError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            DomainError::Internal(_) => ErrorCode::InternalError,
        };
        let message = match &e {
            // Internal detail is logged, never shown.
            DomainError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "an internal error occurred; retry later".to_string()
            }
            DomainError::Unavailable(_) => "the service is unavailable; retry later".to_string(),
            other => other.to_string(),
        };
        Self {
            code,
            message,
            retry_after_ms: None,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Incomplete(m) => Self::new(ErrorCode::IncompleteSignature, m),
            AuthError::UnknownAccessKey(m) => Self::new(ErrorCode::InvalidAccessKeyIdNotFound, m),
            AuthError::Mismatch(m) => Self::new(ErrorCode::SignatureDoesNotMatch, m),
            AuthError::BadTimestamp(m) => Self::new(ErrorCode::InvalidTimeStampFormat, m),
        }
    }
}
