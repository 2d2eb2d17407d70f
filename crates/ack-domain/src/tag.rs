//! Cluster tags (`{key, value}`), as CreateCluster, ModifyClusterTags and import take them, and
//! the `key:value` filters of DescribeFleetAddons.

use crate::DomainError;

/// Limits in the spirit of ACK's resource tags.
pub const MAX_KEY_CHARS: usize = 128;
pub const MAX_VALUE_CHARS: usize = 128;
pub const MAX_TAGS_PER_CLUSTER: usize = 20;

/// A checked tag: a key of 1–128 characters and a value of 0–128.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    /// `param` names the tag in errors (`tags[0]`).
    pub fn parse(param: &str, key: Option<&str>, value: Option<&str>) -> Result<Self, DomainError> {
        let key = key.unwrap_or("");
        if key.is_empty() {
            return Err(DomainError::invalid(
                format!("{param}.key"),
                "it is required",
            ));
        }
        if key.chars().count() > MAX_KEY_CHARS {
            return Err(DomainError::invalid(
                format!("{param}.key"),
                format!("it is longer than {MAX_KEY_CHARS} characters"),
            ));
        }
        crate::name::check_text(&format!("{param}.key"), key, MAX_KEY_CHARS)?;
        let value = value.unwrap_or("");
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(DomainError::invalid(
                format!("{param}.value"),
                format!("it is longer than {MAX_VALUE_CHARS} characters"),
            ));
        }
        crate::name::check_text(&format!("{param}.value"), value, MAX_VALUE_CHARS)?;
        Ok(Self {
            key: key.to_string(),
            value: value.to_string(),
        })
    }

    /// A `key:value` filter (split at the first `:`, so values may hold colons).
    pub fn parse_filter(param: &str, raw: &str) -> Result<Self, DomainError> {
        let Some((key, value)) = raw.split_once(':') else {
            return Err(DomainError::invalid(
                param,
                format!("{raw:?} is not key:value"),
            ));
        };
        Self::parse(param, Some(key), Some(value)).map_err(|e| match e {
            DomainError::InvalidParameter { reason, .. } => DomainError::invalid(param, reason),
            other => other,
        })
    }
}

/// A whole tag list (`tags[i]` in errors): each tag checked, no key twice, at most 20.
pub fn parse_list<'a>(
    param: &str,
    raw: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Result<Vec<Tag>, DomainError> {
    let mut tags: Vec<Tag> = Vec::new();
    for (i, (key, value)) in raw.into_iter().enumerate() {
        let tag = Tag::parse(&format!("{param}[{i}]"), key, value)?;
        if tags.iter().any(|t| t.key == tag.key) {
            return Err(DomainError::invalid(
                format!("{param}[{i}].key"),
                format!("{:?} is listed twice", tag.key),
            ));
        }
        tags.push(tag);
    }
    check_count(param, tags.len())?;
    Ok(tags)
}

/// A cluster holds at most [`MAX_TAGS_PER_CLUSTER`] tags (also checked after a merge).
pub fn check_count(param: &str, n: usize) -> Result<(), DomainError> {
    if n > MAX_TAGS_PER_CLUSTER {
        return Err(DomainError::invalid(
            param,
            format!("a cluster has at most {MAX_TAGS_PER_CLUSTER} tags, this would make {n}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(e: DomainError) -> String {
        match e {
            DomainError::InvalidParameter { name, .. } => name,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn lists_are_checked_tag_by_tag() {
        let ok = parse_list("tags", [(Some("env"), Some("prod")), (Some("team"), None)]).unwrap();
        assert_eq!(ok[1].value, "");
        let long = "k".repeat(129);
        let bad =
            |raw: Vec<(Option<&str>, Option<&str>)>| name_of(parse_list("tags", raw).unwrap_err());
        assert_eq!(
            bad(vec![(Some("a"), None), (None, Some("x"))]),
            "tags[1].key"
        );
        assert_eq!(bad(vec![(Some(long.as_str()), None)]), "tags[0].key");
        assert_eq!(bad(vec![(Some("a"), Some(long.as_str()))]), "tags[0].value");
        assert_eq!(bad(vec![(Some("a\0b"), None)]), "tags[0].key");
        assert_eq!(bad(vec![(Some("a"), Some("\u{1b}[2J"))]), "tags[0].value");
        assert_eq!(
            bad(vec![(Some("a"), None), (Some("a"), None)]),
            "tags[1].key"
        );
        let keys: Vec<String> = (0..21).map(|i| format!("k{i}")).collect();
        assert_eq!(
            bad(keys.iter().map(|k| (Some(k.as_str()), None)).collect()),
            "tags"
        );
    }

    #[test]
    fn filters_are_key_colon_value() {
        let t = Tag::parse_filter("tag", "env:prod:blue").unwrap();
        assert_eq!((t.key.as_str(), t.value.as_str()), ("env", "prod:blue"));
        assert_eq!(name_of(Tag::parse_filter("tag", "env").unwrap_err()), "tag");
        assert_eq!(name_of(Tag::parse_filter("tag", ":x").unwrap_err()), "tag");
    }
}
