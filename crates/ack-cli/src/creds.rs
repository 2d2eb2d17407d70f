//! Where the access key comes from, by the ecosystem's conventions: a named profile of the aliyun
//! CLI's `~/.aliyun/config.json`, else the environment's `ALIBABA_CLOUD_ACCESS_KEY_ID` and
//! `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, else the file's `current` profile.

use crate::error::CliError;
use ack_wire::sign::AccessKeySecret;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret: AccessKeySecret,
}

/// The part of the aliyun CLI's file we read; other fields (region, language, …) are ignored.
/// No `Debug`: it holds secrets as plain strings until they become `AccessKeySecret`s.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfigFile {
    current: String,
    profiles: Vec<Profile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Profile {
    name: String,
    mode: String,
    access_key_id: String,
    access_key_secret: String,
}

/// `env` reads a variable (the process environment, or a map in tests, since changing the real
/// one is unsound with threads).
pub fn resolve(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Credentials, CliError> {
    // ALIBABA_CLOUD_PROFILE names a profile, as in the SDKs' default credential chain.
    let named = profile
        .map(str::to_string)
        .or_else(|| env("ALIBABA_CLOUD_PROFILE").filter(|p| !p.is_empty()));
    if let Some(name) = named {
        return from_file(env, Some(&name));
    }
    let id = env("ALIBABA_CLOUD_ACCESS_KEY_ID").filter(|v| !v.is_empty());
    let secret = env("ALIBABA_CLOUD_ACCESS_KEY_SECRET").filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(access_key_id), Some(secret)) => Ok(Credentials {
            access_key_id,
            secret: AccessKeySecret::new(secret),
        }),
        (Some(_), None) | (None, Some(_)) => Err(CliError::other(
            "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must be set together",
        )),
        (None, None) => from_file(env, None),
    }
}

fn config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".aliyun").join("config.json"))
}

fn from_file(
    env: &dyn Fn(&str) -> Option<String>,
    name: Option<&str>,
) -> Result<Credentials, CliError> {
    let none = || {
        CliError::other(
            "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, \
             or configure a profile in ~/.aliyun/config.json (aliyun configure)",
        )
    };
    let path = config_path(env).ok_or_else(none)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && name.is_none() => {
            return Err(none());
        }
        Err(e) => {
            return Err(CliError::other(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let file: ConfigFile = serde_json::from_str(&text)
        .map_err(|e| CliError::other(format!("{} is not valid: {e}", path.display())))?;
    let wanted = match name {
        Some(n) => n,
        None if file.current.is_empty() => return Err(none()),
        None => file.current.as_str(),
    };
    let p = file
        .profiles
        .into_iter()
        .find(|p| p.name == wanted)
        .ok_or_else(|| CliError::other(format!("no profile {wanted:?} in {}", path.display())))?;
    if !(p.mode.is_empty() || p.mode.eq_ignore_ascii_case("AK")) {
        return Err(CliError::other(format!(
            "profile {wanted:?} uses mode {}; only AK profiles are supported",
            p.mode
        )));
    }
    if p.access_key_id.is_empty() || p.access_key_secret.is_empty() {
        return Err(CliError::other(format!(
            "profile {wanted:?} has no access_key_id or access_key_secret"
        )));
    }
    Ok(Credentials {
        access_key_id: p.access_key_id,
        secret: AccessKeySecret::new(p.access_key_secret),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn home_with(config: &str) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aliyun")).unwrap();
        std::fs::write(home.path().join(".aliyun/config.json"), config).unwrap();
        home
    }

    const CONFIG: &str = r#"{"current": "dev", "profiles": [
        {"name": "dev", "mode": "AK", "access_key_id": "dev-id", "access_key_secret": "dev-secret", "region_id": "cn-hangzhou"},
        {"name": "prod", "mode": "AK", "access_key_id": "prod-id", "access_key_secret": "prod-secret"},
        {"name": "sts", "mode": "StsToken", "access_key_id": "x", "access_key_secret": "sts-secret"}
    ], "meta_path": ""}"#;

    fn resolve_with(vars: &[(&str, &str)], profile: Option<&str>) -> Result<Credentials, CliError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(profile, &|k| m.get(k).cloned())
    }

    #[test]
    fn profile_flag_then_environment_then_current() {
        let home = home_with(CONFIG);
        let h = home.path().to_str().unwrap();
        let env = [
            ("HOME", h),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
        ];
        let c = resolve_with(&env, Some("prod")).unwrap();
        assert_eq!(c.access_key_id, "prod-id");
        assert_eq!(c.secret.expose(), "prod-secret");
        assert_eq!(resolve_with(&env, None).unwrap().access_key_id, "env-id");
        let c = resolve_with(&[("HOME", h)], None).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret.expose()),
            ("dev-id", "dev-secret")
        );
        let c = resolve_with(&[("HOME", h), ("ALIBABA_CLOUD_PROFILE", "prod")], None).unwrap();
        assert_eq!(c.access_key_id, "prod-id");
    }

    #[test]
    fn refusals_name_the_problem_and_never_the_secret() {
        let home = home_with(CONFIG);
        let h = home.path().to_str().unwrap();
        let e = resolve_with(&[("HOME", h)], Some("nope"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no profile \"nope\""), "{e}");
        let e = resolve_with(&[("HOME", h)], Some("sts"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("StsToken") && !e.contains("sts-secret"), "{e}");
        let e = resolve_with(&[("ALIBABA_CLOUD_ACCESS_KEY_ID", "x")], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("together"), "{e}");
        let empty = tempfile::tempdir().unwrap();
        let e = resolve_with(&[("HOME", empty.path().to_str().unwrap())], None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("no credentials"), "{e}");
        let c = resolve_with(&[("HOME", h)], None).unwrap();
        assert!(!format!("{c:?}").contains("dev-secret"));
    }

    #[test]
    fn a_broken_file_is_reported_with_its_path() {
        let home = home_with("{not json");
        let e = resolve_with(&[("HOME", home.path().to_str().unwrap())], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("config.json is not valid"), "{e}");
    }
}
