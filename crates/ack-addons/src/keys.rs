//! Access keys from the command line, and the one generated on a first start without any.

use ack_server::KeyRing;
use ack_store::{Store, StoredKey};
use ack_wire::sign::AccessKeySecret;

/// `ID:SECRET[:ACCOUNT]`.
pub fn parse(spec: &str) -> Result<StoredKey, String> {
    let mut parts = spec.splitn(3, ':');
    let id = parts.next().unwrap_or_default().trim();
    let secret = parts.next().unwrap_or_default().trim();
    let account = parts
        .next()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or("default");
    if id.is_empty() || secret.is_empty() {
        return Err("an access key must be given as ID:SECRET[:ACCOUNT]".into());
    }
    Ok(StoredKey {
        access_key_id: id.into(),
        secret: secret.into(),
        account: account.into(),
    })
}

/// Stores the configured keys, generates one if the database has none (when `generate`), and
/// returns them all.
pub async fn load(
    store: &Store,
    configured: &[String],
    now: i64,
    generate: bool,
) -> Result<KeyRing, String> {
    for spec in configured
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
    {
        store
            .put_key(&parse(spec)?, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut keys = store.keys().await.map_err(|e| e.to_string())?;
    if keys.is_empty() && generate {
        let key = StoredKey {
            access_key_id: format!("LTAI{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
            secret: uuid::Uuid::new_v4().simple().to_string()[..30].to_string(),
            account: "default".into(),
        };
        store.put_key(&key, now).await.map_err(|e| e.to_string())?;
        // Shown once, on the first start; it stays in the database.
        eprintln!(
            "generated access key (stored; shown only now): {}:{}",
            key.access_key_id, key.secret
        );
        keys.push(key);
    }
    Ok(KeyRing::new(keys.into_iter().map(|k| {
        (k.access_key_id, AccessKeySecret::new(k.secret), k.account)
    })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_key_specs() {
        let k = super::parse("id:sec:acct").unwrap();
        assert_eq!(
            (
                k.access_key_id.as_str(),
                k.secret.as_str(),
                k.account.as_str()
            ),
            ("id", "sec", "acct")
        );
        assert_eq!(super::parse("id:sec").unwrap().account, "default");
        assert!(super::parse("id").is_err());
        assert!(super::parse(":sec").is_err());
    }
}
