//! ROA `acs <AccessKeyId>:<base64 HMAC-SHA1>` (sdk-wire.md §4.2).

use super::acs3::epoch_seconds;
use super::{AccessKeySecret, AuthError, Scheme, Verified, WireRequest, ct_eq};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;

fn canonical_acs_headers(req: &WireRequest<'_>) -> String {
    let mut acs: Vec<(String, &str)> = req
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .filter(|(n, _)| n.starts_with("x-acs-"))
        .collect();
    acs.sort();
    acs.iter().map(|(n, v)| format!("{n}:{v}\n")).collect()
}

/// The SDKs disagree on how an empty query value is written (`key` vs `key=`), and the legacy
/// one signs the unencoded path, so every combination the SDKs produce is a candidate.
fn candidate_resources(req: &WireRequest<'_>) -> Vec<String> {
    let mut paths = vec![req.raw_path.to_string()];
    let decoded = percent_encoding::percent_decode_str(req.raw_path)
        .decode_utf8_lossy()
        .into_owned();
    if decoded != req.raw_path {
        paths.push(decoded);
    }
    let mut pairs: Vec<&(String, String)> = req.query.iter().collect();
    pairs.sort();
    let with_eq: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let without_eq: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    let mut queries = vec![with_eq.join("&")];
    if without_eq != with_eq {
        queries.push(without_eq.join("&"));
    }
    let mut out = Vec::new();
    for p in &paths {
        for q in &queries {
            out.push(if q.is_empty() {
                p.clone()
            } else {
                format!("{p}?{q}")
            });
        }
    }
    out
}

/// The string to sign up to the resource: method, Accept, Content-MD5, Content-Type, Date and
/// the x-acs-* headers.
fn head(req: &WireRequest<'_>, content_md5: &str, date: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.header("accept").map(str::trim).unwrap_or_default(),
        content_md5,
        req.header("content-type")
            .map(str::trim)
            .unwrap_or_default(),
        date,
        canonical_acs_headers(req)
    )
}

fn mac(secret: &AccessKeySecret, head: &str, resource: &str) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(head.as_bytes());
    mac.update(resource.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// Signs a request as the legacy ROA SDK does (`acs <AccessKeyId>:<base64 HMAC-SHA1>`), for
/// tests: `headers` must hold `Date` and the x-acs-* headers to sign; a body gets its
/// Content-MD5 (the only way the scheme covers a body). Returns with Authorization appended.
pub fn sign_roa(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    access_key_id: &str,
    secret: &AccessKeySecret,
) {
    if !body.is_empty() {
        headers.push(("Content-MD5".into(), B64.encode(Md5::digest(body))));
    }
    let borrowed: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let query = super::decode_query(raw_query);
    let req = WireRequest {
        method,
        raw_path,
        raw_query,
        query: &query,
        headers: &borrowed,
        body,
    };
    let md5 = req.header("content-md5").unwrap_or_default().to_string();
    let date = req.header("date").unwrap_or_default().to_string();
    let resource = candidate_resources(&req).swap_remove(0);
    let signature = mac(secret, &head(&req, &md5, &date), &resource);
    headers.push((
        "Authorization".into(),
        format!("acs {access_key_id}:{signature}"),
    ));
}

pub(super) fn verify(
    req: &WireRequest<'_>,
    rest: &str,
    lookup: &dyn Fn(&str) -> Option<AccessKeySecret>,
) -> Result<Verified, AuthError> {
    let Some((ak, signature)) = rest.trim().rsplit_once(':') else {
        return Err(AuthError::Incomplete(
            "expected Authorization: acs <AccessKeyId>:<Signature>".into(),
        ));
    };
    if ak.is_empty() || signature.is_empty() {
        return Err(AuthError::Incomplete(
            "expected Authorization: acs <AccessKeyId>:<Signature>".into(),
        ));
    }
    let date = req.header("date").map(str::trim).unwrap_or_default();
    if date.is_empty() {
        return Err(AuthError::Incomplete(
            "the Date header is required by the acs signature".into(),
        ));
    }
    let timestamp = httpdate::parse_http_date(date)
        .map_err(|_| AuthError::BadTimestamp(format!("Date {date:?} is not an RFC 1123 time")))?;
    let content_md5 = req.header("content-md5").map(str::trim).unwrap_or_default();
    if !content_md5.is_empty() && content_md5 != B64.encode(Md5::digest(req.body)) {
        return Err(AuthError::Mismatch(
            "Content-MD5 does not match the request body".into(),
        ));
    }
    let secret = lookup(ak)
        .ok_or_else(|| AuthError::UnknownAccessKey(format!("the AccessKeyId {ak} is not found")))?;
    let head = head(req, content_md5, date);
    let candidates = candidate_resources(req);
    let matched = candidates.iter().any(|resource| {
        ct_eq(
            mac(&secret, &head, resource).as_bytes(),
            signature.as_bytes(),
        )
    });
    if !matched {
        return Err(AuthError::Mismatch(format!(
            "the request signature does not match; the server's string to sign was {:?}",
            format!("{head}{}", candidates[0])
        )));
    }
    Ok(Verified {
        access_key_id: ak.to_string(),
        timestamp: epoch_seconds(timestamp),
        nonce: req
            .header("x-acs-signature-nonce")
            .map(|n| n.trim().to_string()),
        scheme: Scheme::RoaHmacSha1,
    })
}
