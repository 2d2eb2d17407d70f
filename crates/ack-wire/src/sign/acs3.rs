//! ACS3-HMAC-SHA256 / ACS3-HMAC-SM3 (sdk-wire.md §4.1).

use super::{AccessKeySecret, AuthError, Scheme, Verified, WireRequest, ct_eq, decode_query};
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// RFC 3986 unreserved characters stay as they are; everything else is percent-encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Headers every tea SDK signs; a signature that leaves one out could be replayed or re-aimed.
const REQUIRED_SIGNED: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

#[derive(Clone, Copy)]
pub(super) enum Algo {
    Sha256,
    Sm3,
}

impl Algo {
    fn name(self) -> &'static str {
        match self {
            Algo::Sha256 => "ACS3-HMAC-SHA256",
            Algo::Sm3 => "ACS3-HMAC-SM3",
        }
    }

    fn hash_hex(self, data: &[u8]) -> String {
        match self {
            // GET calls, the polls among them, have no body.
            Algo::Sha256 if data.is_empty() => {
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into()
            }
            Algo::Sha256 => to_hex(&Sha256::digest(data)),
            Algo::Sm3 => to_hex(&Sm3::digest(data)),
        }
    }

    fn hmac_hex(self, secret: &AccessKeySecret, data: &[u8]) -> String {
        match self {
            Algo::Sha256 => {
                let mut mac = secret.hmac_sha256();
                mac.update(data);
                to_hex(&mac.finalize().into_bytes())
            }
            Algo::Sm3 => {
                let mut mac = <Hmac<Sm3> as KeyInit>::new_from_slice(secret.expose().as_bytes())
                    .expect("HMAC accepts any key length");
                mac.update(data);
                to_hex(&mac.finalize().into_bytes())
            }
        }
    }
}

/// Lowercase hex of a 32-byte digest (`hex::encode` goes through a char iterator, which showed
/// in the status call's profile).
fn to_hex(bytes: &[u8]) -> String {
    let mut buf = [0u8; 64];
    if let Some(out) = buf.get_mut(..bytes.len() * 2)
        && hex::encode_to_slice(bytes, out).is_ok()
    {
        return String::from_utf8_lossy(out).into_owned();
    }
    hex::encode(bytes)
}

struct AuthFields<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_fields(rest: &str) -> Result<AuthFields<'_>, AuthError> {
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    match (credential, signed_headers, signature) {
        (Some(c), Some(h), Some(s)) if !c.is_empty() && !s.is_empty() => Ok(AuthFields {
            credential: c,
            signed_headers: h,
            signature: s,
        }),
        _ => Err(AuthError::Incomplete(
            "the Authorization header must carry Credential, SignedHeaders and Signature".into(),
        )),
    }
}

fn put_canonical_uri(c: &mut String, raw_path: &str) {
    if raw_path.is_empty() {
        c.push('/');
    } else if raw_path.contains(['+', '*']) || raw_path.contains("%7E") {
        // The Node SDK leaves `*` raw and writes spaces as `+`; Python already sends the normal
        // form, which goes in as it is.
        c.push_str(
            &raw_path
                .replace('+', "%20")
                .replace('*', "%2A")
                .replace("%7E", "~"),
        );
    } else {
        c.push_str(raw_path);
    }
}

fn put_canonical_query(c: &mut String, query: &[(String, String)]) {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            c.push('&');
        }
        c.push_str(k);
        c.push('=');
        for chunk in utf8_percent_encode(v, RFC3986) {
            c.push_str(chunk);
        }
    }
}

fn put_canonical_headers(
    c: &mut String,
    req: &WireRequest<'_>,
    signed: &str,
) -> Result<(), AuthError> {
    for name in signed.split(';').filter(|n| !n.is_empty()) {
        c.push_str(name);
        c.push(':');
        let mut found = req.header_values(name).map(str::trim);
        match (found.next(), found.next()) {
            (None, _) => {
                return Err(AuthError::Incomplete(format!(
                    "signed header {name} is missing"
                )));
            }
            // The usual case: one value, nothing to sort.
            (Some(v), None) => c.push_str(v),
            (Some(a), Some(b)) => {
                let mut values: Vec<&str> = [a, b].into_iter().chain(found).collect();
                values.sort_unstable();
                c.push_str(&values.join(","));
            }
        }
        c.push('\n');
    }
    Ok(())
}

/// `ALGORITHM\nhex(hash(canonical request))`, the canonical request being method, URI, query,
/// headers, signed header names and payload hash, one per line. It is gathered in one buffer
/// and hashed once: feeding the hash dozens of few-byte pieces cost more than the copy.
fn string_to_sign(
    algo: Algo,
    req: &WireRequest<'_>,
    signed: &str,
    payload_hash: &str,
) -> Result<String, AuthError> {
    let mut c = String::with_capacity(768);
    c.push_str(req.method);
    c.push('\n');
    put_canonical_uri(&mut c, req.raw_path);
    c.push('\n');
    put_canonical_query(&mut c, req.query);
    c.push('\n');
    put_canonical_headers(&mut c, req, signed)?;
    c.push('\n');
    c.push_str(signed);
    c.push('\n');
    c.push_str(payload_hash);
    Ok(format!("{}\n{}", algo.name(), algo.hash_hex(c.as_bytes())))
}

pub(super) fn verify(
    req: &WireRequest<'_>,
    rest: &str,
    algo: Algo,
    lookup: &dyn Fn(&str) -> Option<AccessKeySecret>,
) -> Result<Verified, AuthError> {
    let fields = parse_fields(rest)?;
    let signed: Vec<&str> = fields.signed_headers.split(';').collect();
    if let Some(missing) = REQUIRED_SIGNED
        .iter()
        .find(|h| !signed.iter().any(|s| s.eq_ignore_ascii_case(h)))
    {
        return Err(AuthError::Incomplete(format!(
            "SignedHeaders must include {missing}"
        )));
    }
    let payload_hash = algo.hash_hex(req.body);
    let declared = req
        .header("x-acs-content-sha256")
        .unwrap_or_default()
        .trim();
    if !declared.eq_ignore_ascii_case(&payload_hash) {
        return Err(AuthError::Mismatch(
            "x-acs-content-sha256 does not match the request body".into(),
        ));
    }
    let date = req.header("x-acs-date").unwrap_or_default().trim();
    let timestamp = humantime::parse_rfc3339(date).map_err(|_| {
        AuthError::BadTimestamp(format!("x-acs-date {date:?} is not an ISO 8601 UTC time"))
    })?;
    let secret = lookup(fields.credential).ok_or_else(|| {
        AuthError::UnknownAccessKey(format!(
            "the AccessKeyId {} is not found",
            fields.credential
        ))
    })?;
    let sts = string_to_sign(algo, req, fields.signed_headers, &payload_hash)?;
    let expected = algo.hmac_hex(&secret, sts.as_bytes());
    // Hex digits in either case; the expected value is lowercase. Lowercased into a buffer on
    // the stack: a signature of another length fails the comparison anyway.
    let mut given = [0u8; 64];
    let sig = fields.signature.as_bytes();
    let given = match given.get_mut(..sig.len()) {
        Some(g) => {
            for (d, s) in g.iter_mut().zip(sig) {
                *d = s.to_ascii_lowercase();
            }
            &*g
        }
        None => sig,
    };
    if !ct_eq(expected.as_bytes(), given) {
        return Err(AuthError::Mismatch(format!(
            "the request signature does not match; the server's string to sign was {sts:?}"
        )));
    }
    Ok(Verified {
        access_key_id: fields.credential.to_string(),
        timestamp: epoch_seconds(timestamp),
        nonce: req
            .header("x-acs-signature-nonce")
            .map(|n| n.trim().to_string()),
        scheme: match algo {
            Algo::Sha256 => Scheme::Acs3HmacSha256,
            Algo::Sm3 => Scheme::Acs3HmacSm3,
        },
    })
}

pub(super) fn epoch_seconds(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Signs a request the way the tea SDKs do (ACS3-HMAC-SHA256), for tests and load generation.
/// `headers` must already hold every header to be signed except the content hash and the
/// Authorization, which this returns appended.
pub fn sign_acs3(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    access_key_id: &str,
    secret: &AccessKeySecret,
) {
    let algo = Algo::Sha256;
    let payload_hash = algo.hash_hex(body);
    headers.push(("x-acs-content-sha256".into(), payload_hash.clone()));
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let signed = names.join(";");
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let query = decode_query(raw_query);
    let req = WireRequest {
        method,
        raw_path,
        raw_query,
        query: &query,
        headers: &borrowed,
        body,
    };
    let sts =
        string_to_sign(algo, &req, &signed, &payload_hash).expect("every named header is present");
    let signature = algo.hmac_hex(secret, sts.as_bytes());
    headers.push((
        "Authorization".into(),
        format!("ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={signed},Signature={signature}"),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_body_shortcut_is_the_real_digest() {
        assert_eq!(Algo::Sha256.hash_hex(b""), hex::encode(Sha256::digest(b"")));
        assert_eq!(
            Algo::Sha256.hash_hex(b"{}"),
            hex::encode(Sha256::digest(b"{}"))
        );
        assert_eq!(Algo::Sm3.hash_hex(b""), hex::encode(Sm3::digest(b"")));
    }

    #[test]
    fn canonical_headers_join_repeated_values_sorted_and_trimmed() {
        let headers = [("X-Acs-Meta", "b"), ("host", "h"), ("x-acs-meta", " a ")];
        let req = WireRequest {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            query: &[],
            headers: &headers,
            body: b"",
        };
        let mut c = String::new();
        put_canonical_headers(&mut c, &req, "host;x-acs-meta").unwrap();
        assert_eq!(c, "host:h\nx-acs-meta:a,b\n");
        let mut c = String::new();
        assert!(matches!(
            put_canonical_headers(&mut c, &req, "host;x-acs-date"),
            Err(AuthError::Incomplete(_))
        ));
    }
}
