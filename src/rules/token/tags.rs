//! TK011 token-session-tags.

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::model::token::Jwt;
use crate::rules::TK011;

pub const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
const MAX_TAGS: usize = 50;
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 256;

pub(super) fn check(jwt: &Jwt) -> Option<Finding> {
    let claim = jwt.claim(TAGS_CLAIM)?;
    let needs_tag_session = "The role's trust policy must allow `sts:TagSession` beside \
                             `sts:AssumeRoleWithWebIdentity`, or STS answers AccessDenied.";
    let Some(tags) = claim.get("principal_tags").and_then(Value::as_object) else {
        return Some(
            Finding::new(
                &TK011,
                format!("Claim `{TAGS_CLAIM}` has no `principal_tags` object."),
                "Session tags go in `principal_tags` as {\"Key\": [\"value\"]}; fix the issuer's claim mapping.",
            )
            .with_severity(Severity::High),
        );
    };
    let mut problems = Vec::new();
    if tags.len() > MAX_TAGS {
        problems.push(format!("{} tags (at most {MAX_TAGS})", tags.len()));
    }
    for (key, value) in tags {
        let key_chars = key.chars().count();
        if key_chars > MAX_KEY {
            problems.push(format!("a {key_chars}-character key (at most {MAX_KEY})"));
        }
        let values: Vec<&Value> = match value {
            Value::Array(list) => list.iter().collect(),
            single => vec![single],
        };
        if values.len() != 1 {
            problems.push(format!(
                "tag `{}` with {} values (exactly one)",
                shorten(key),
                values.len()
            ));
        }
        for v in values {
            let Some(text) = v.as_str() else {
                problems.push(format!(
                    "tag `{}` with a value that is not a string",
                    shorten(key)
                ));
                continue;
            };
            let len = text.chars().count();
            if len > MAX_VALUE {
                problems.push(format!(
                    "tag `{}` with a {len}-character value (at most {MAX_VALUE})",
                    shorten(key)
                ));
            }
        }
    }
    if problems.is_empty() {
        let names: Vec<&str> = tags.keys().map(String::as_str).take(5).collect();
        return Some(Finding::new(
            &TK011,
            format!(
                "The token carries {} ({}).",
                crate::finding::counted(tags.len(), "session tag", "session tags"),
                names.join(", ")
            ),
            needs_tag_session,
        ));
    }
    Some(
        Finding::new(
            &TK011,
            format!(
                "The token's session tags break STS limits: {}.",
                problems.join("; ")
            ),
            format!(
                "STS refuses such tokens. Keep to 50 single-valued tags, keys up to 128 and \
                 values up to 256 characters. {needs_tag_session}"
            ),
        )
        .with_severity(Severity::High),
    )
}

fn shorten(key: &str) -> String {
    match key.char_indices().nth(24) {
        Some((cut, _)) => format!("{}…", &key[..cut]),
        None => key.to_owned(),
    }
}
