//! The provider's error-code vocabulary, with the HTTP status of each (ack-addon-api.md §5).

/// An ACK error code. Adding a variant forces a decision about its status in `status()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ErrorClusterNotFound,
    AddonNotFound,
    ErrorTaskNotFound,
    InvalidParameter,
    ErrorClusterState,
    AddonAlreadyInstalled,
    AddonTaskInProgress,
    ErrorTaskState,
    ErrorRolloutNotFound,
    ErrorWebhookNotFound,
    ErrorRolloutState,
    RolloutInProgress,
    IncompleteSignature,
    SignatureDoesNotMatch,
    InvalidAccessKeyIdNotFound,
    SignatureNonceUsed,
    InvalidTimeStampFormat,
    InvalidTimeStampExpired,
    NotFound,
    MethodNotAllowed,
    ServiceUnavailable,
    ThrottlingUser,
    InternalError,
    // Refusals of the HTTP layer, before any operation is chosen.
    MalformedRequest,
    RequestTimeout,
    RequestEntityTooLarge,
    UriTooLong,
    ExpectationFailed,
    HeadersTooLarge,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ErrorClusterNotFound => "ErrorClusterNotFound",
            Self::AddonNotFound => "AddonNotFound",
            Self::ErrorTaskNotFound => "ErrorTaskNotFound",
            Self::InvalidParameter => "InvalidParameter",
            Self::ErrorClusterState => "ErrorClusterState",
            Self::AddonAlreadyInstalled => "AddonAlreadyInstalled",
            Self::AddonTaskInProgress => "AddonTaskInProgress",
            Self::ErrorTaskState => "ErrorTaskState",
            Self::ErrorRolloutNotFound => "ErrorRolloutNotFound",
            Self::ErrorWebhookNotFound => "ErrorWebhookNotFound",
            Self::ErrorRolloutState => "ErrorRolloutState",
            Self::RolloutInProgress => "RolloutInProgress",
            Self::IncompleteSignature => "IncompleteSignature",
            Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            Self::InvalidAccessKeyIdNotFound => "InvalidAccessKeyId.NotFound",
            Self::SignatureNonceUsed => "SignatureNonceUsed",
            Self::InvalidTimeStampFormat => "InvalidTimeStamp.Format",
            Self::InvalidTimeStampExpired => "InvalidTimeStamp.Expired",
            Self::NotFound => "InvalidAction.NotFound",
            Self::MethodNotAllowed => "UnsupportedHTTPMethod",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::ThrottlingUser => "Throttling.User",
            Self::InternalError => "InternalError",
            Self::MalformedRequest => "InvalidRequest.Malformed",
            Self::RequestTimeout => "RequestTimeout",
            Self::RequestEntityTooLarge => "RequestEntityTooLarge",
            Self::UriTooLong => "InvalidURI.TooLong",
            Self::ExpectationFailed => "InvalidHeader.Expect",
            Self::HeadersTooLarge => "InvalidHeader.TooLarge",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::InvalidParameter
            | Self::ErrorClusterState
            | Self::ErrorTaskState
            | Self::ErrorRolloutState
            | Self::IncompleteSignature
            | Self::SignatureDoesNotMatch
            | Self::SignatureNonceUsed
            | Self::InvalidTimeStampFormat
            | Self::InvalidTimeStampExpired
            | Self::MalformedRequest => 400,
            // Alibaba's gateway answers an unknown AccessKeyId with 404.
            Self::ErrorClusterNotFound
            | Self::AddonNotFound
            | Self::ErrorTaskNotFound
            | Self::ErrorRolloutNotFound
            | Self::ErrorWebhookNotFound
            | Self::InvalidAccessKeyIdNotFound
            | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::RequestEntityTooLarge => 413,
            Self::UriTooLong => 414,
            Self::ExpectationFailed => 417,
            Self::HeadersTooLarge => 431,
            // A conflict with the add-on's current state: retrying later may succeed.
            Self::AddonAlreadyInstalled | Self::AddonTaskInProgress | Self::RolloutInProgress => {
                409
            }
            // Too many requests: the SDKs and Terraform back off on the code and the
            // x-acs-retry-after header that goes with it.
            Self::ThrottlingUser => 429,
            Self::InternalError => 500,
            Self::ServiceUnavailable => 503,
        }
    }
}
