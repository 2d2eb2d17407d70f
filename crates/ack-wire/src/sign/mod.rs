//! Server-side verification (and, for tests and the load generator, client-side signing) of the
//! two signature families the official SDKs send: ACS3 (`ACS3-HMAC-SHA256` / `ACS3-HMAC-SM3`) and
//! ROA (`acs AK:base64(HMAC-SHA1)`). The canonical forms follow `shared/reference/sdk-wire.md` §4.

mod acs3;
mod roa;
mod secret;

pub use acs3::sign_acs3;
pub use roa::sign_roa;
pub use secret::{AccessKeySecret, ct_eq};

/// One received request, exactly as it came off the wire (path and query still encoded).
pub struct WireRequest<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    /// `raw_query` decoded with form rules (`decode_query`): the caller decodes it once for both
    /// the signature check and its own use.
    pub query: &'a [(String, String)],
    /// Header names as received (any case); repeated headers appear repeatedly. Borrowed, so
    /// that checking a request copies none of them.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl WireRequest<'_> {
    /// All values of a header, names compared case-insensitively.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What a valid signature proves: who signed, when, and with which nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key_id: String,
    /// Seconds since the Unix epoch, from `x-acs-date` (ACS3) or `Date` (ROA).
    pub timestamp: i64,
    pub nonce: Option<String>,
    pub scheme: Scheme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Acs3HmacSha256,
    Acs3HmacSm3,
    RoaHmacSha1,
}

/// Why a request's signature was refused. The messages never contain the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Authorization header missing or malformed, or a required signed part absent.
    Incomplete(String),
    /// The AccessKeyId is not configured.
    UnknownAccessKey(String),
    /// The signature (or a body digest it covers) does not match.
    Mismatch(String),
    /// A timestamp header that cannot be parsed.
    BadTimestamp(String),
}

/// Verifies the request's signature against the secret that `lookup` returns for its key id.
pub fn verify(
    req: &WireRequest<'_>,
    lookup: &dyn Fn(&str) -> Option<AccessKeySecret>,
) -> Result<Verified, AuthError> {
    let Some(auth) = req.header("authorization") else {
        return Err(AuthError::Incomplete(
            "the Authorization header is missing".into(),
        ));
    };
    let auth = auth.trim();
    if let Some(rest) = auth.strip_prefix("ACS3-HMAC-SHA256 ") {
        acs3::verify(req, rest, acs3::Algo::Sha256, lookup)
    } else if let Some(rest) = auth.strip_prefix("ACS3-HMAC-SM3 ") {
        acs3::verify(req, rest, acs3::Algo::Sm3, lookup)
    } else if let Some(rest) = auth.strip_prefix("acs ") {
        roa::verify(req, rest, lookup)
    } else {
        Err(AuthError::Incomplete(
            "the Authorization header uses an unsupported scheme; expected ACS3-HMAC-SHA256, \
             ACS3-HMAC-SM3 or acs <AccessKeyId>:<Signature>"
                .into(),
        ))
    }
}

/// A path parameter as received (percent-encoded), decoded; None when the bytes are not UTF-8.
pub fn decode_path_segment(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// Parses the raw query into decoded pairs with form rules (`+` is a space).
pub fn decode_query(raw_query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw_query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
