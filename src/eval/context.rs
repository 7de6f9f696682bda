//! The request context STS builds for `AssumeRoleWithWebIdentity`: the
//! condition keys a trust policy can test, with their values, built from a
//! token's claims the way STS maps them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::issuers::{self, IssuerFamily};
use crate::model::token::Jwt;

/// The global key holding the provider ARN of a web-identity session.
pub const FEDERATED_PROVIDER: &str = "aws:FederatedProvider";
/// The key holding the `RoleSessionName` the caller passed.
pub const ROLE_SESSION_NAME: &str = "sts:RoleSessionName";

/// Condition keys and their values. Keys are case-insensitive (stored
/// lower-cased); values keep their case. A key maps to a list of values:
/// one for single-valued keys, any number for multi-valued ones (`amr`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    provider: Option<String>,
    keys: BTreeMap<String, Vec<String>>,
}

impl RequestContext {
    /// An empty context (build it up with [`RequestContext::with`]).
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// The context STS builds from a token's claims for `family` (see
    /// [`issuers::detect`]). The key prefix is the provider name, `iss`
    /// without `https://` (`accounts.google.com`,
    /// `cognito-identity.amazonaws.com` for the built-in principals). Without
    /// a string `iss` the context is empty.
    ///
    /// - `<provider>:sub`, `:email`: the claims, when present.
    /// - `<provider>:aud`: `azp` when present, else every value of `aud`;
    ///   `<provider>:oaud`: `aud`, when `azp` is present.
    /// - `<provider>:amr`: multi-valued, from a list or a single string.
    /// - `<provider>:<claim>` for the family's extra condition keys present
    ///   in the claims. Numbers become their decimal text, booleans
    ///   `true`/`false`; objects, lists and null are left out.
    pub fn from_claims(claims: &Map<String, Value>, family: &IssuerFamily) -> RequestContext {
        let mut context = RequestContext::new();
        let Some(iss) = claims.get("iss").and_then(Value::as_str) else {
            return context;
        };
        let provider = issuers::provider_name(iss).to_owned();
        let key = |claim: &str| format!("{provider}:{claim}");
        let scalar = |name: &str| claims.get(name).and_then(scalar_text);
        for claim in ["sub", "email"] {
            if let Some(value) = scalar(claim) {
                context.insert(&key(claim), vec![value]);
            }
        }
        let audiences = claims.get("aud").map(list_text).unwrap_or_default();
        match scalar("azp") {
            Some(azp) => {
                context.insert(&key("aud"), vec![azp]);
                if !audiences.is_empty() {
                    context.insert(&key("oaud"), audiences);
                }
            }
            None if !audiences.is_empty() => context.insert(&key("aud"), audiences),
            None => {}
        }
        if let Some(amr) = claims.get("amr") {
            context.insert(&key("amr"), list_text(amr));
        }
        for claim in family.extra_condition_keys {
            if let Some(value) = scalar(claim) {
                context.insert(&key(claim), vec![value]);
            }
        }
        context.provider = Some(provider);
        context
    }

    /// [`RequestContext::from_claims`] with the family detected from the
    /// token's `iss` (and `sub` for private hosts).
    pub fn from_jwt(jwt: &Jwt) -> RequestContext {
        let iss = jwt.claim_str("iss").unwrap_or_default();
        let family = issuers::detect(iss, jwt.claim_str("sub"));
        RequestContext::from_claims(&jwt.claims, family)
    }

    /// Adds (or replaces) a single-valued key.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> RequestContext {
        self.insert(key, vec![value.into()]);
        self
    }

    /// Adds (or replaces) a multi-valued key; an empty list makes the key
    /// present with no values (an empty set).
    #[must_use]
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> RequestContext
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.insert(key, values.into_iter().map(Into::into).collect());
        self
    }

    /// Removes a key.
    #[must_use]
    pub fn without(mut self, key: &str) -> RequestContext {
        self.keys.remove(&key.to_lowercase());
        self
    }

    /// Sets `aws:FederatedProvider` (the IAM OIDC provider ARN).
    #[must_use]
    pub fn with_federated_provider(self, arn: &str) -> RequestContext {
        self.with(FEDERATED_PROVIDER, arn)
    }

    /// Sets `sts:RoleSessionName`.
    #[must_use]
    pub fn with_role_session_name(self, name: &str) -> RequestContext {
        self.with(ROLE_SESSION_NAME, name)
    }

    /// Adds (or replaces) a key with its values.
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_lowercase(), values);
    }

    /// The values of a key (any case), `None` when the key is absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.keys.get(&key.to_lowercase()).map(Vec::as_slice)
    }

    /// The provider name the claim keys were built under, when built from claims.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// Every key (lower-cased) with its values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A claim value as condition-key text: strings as they are, numbers in
/// decimal, booleans as `true`/`false`.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every scalar of a value that may be a list.
fn list_text(value: &Value) -> Vec<String> {
    match value {
        Value::Array(list) => list.iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: &Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn family(iss: &str) -> &'static IssuerFamily {
        issuers::detect(iss, None)
    }

    #[test]
    fn github_claims_become_prefixed_keys() {
        let iss = "https://token.actions.githubusercontent.com";
        let context = RequestContext::from_claims(
            &claims(&json!({
                "iss": iss, "sub": "repo:acme/app:ref:refs/heads/main",
                "aud": "sts.amazonaws.com", "repository_id": 42, "actor": "octocat",
                "repository_visibility": "private", "ref_protected": true
            })),
            family(iss),
        );
        let p = "token.actions.githubusercontent.com";
        assert_eq!(context.provider(), Some(p));
        assert_eq!(
            context.get(&format!("{p}:SUB")),
            Some(&["repo:acme/app:ref:refs/heads/main".to_owned()][..])
        );
        assert_eq!(context.get(&format!("{p}:aud")).map(<[_]>::len), Some(1));
        assert_eq!(
            context.get(&format!("{p}:repository_id")),
            Some(&["42".to_owned()][..])
        );
        assert!(context.get(&format!("{p}:actor")).is_some());
        // Not in GitHub's key list: not in the context.
        assert!(context.get(&format!("{p}:repository_visibility")).is_none());
        assert!(context.get(&format!("{p}:oaud")).is_none());
        assert_eq!(context.len(), 4);
    }

    #[test]
    fn azp_becomes_aud_and_aud_becomes_oaud() {
        let iss = "https://accounts.google.com";
        let context = RequestContext::from_claims(
            &claims(&json!({"iss": iss, "sub": "1", "azp": "client-a", "aud": ["x", "y"]})),
            family(iss),
        );
        let values = |key: &str| context.get(key).map(<[String]>::to_vec);
        assert_eq!(
            values("accounts.google.com:aud"),
            Some(vec!["client-a".into()])
        );
        assert_eq!(
            values("accounts.google.com:oaud"),
            Some(vec!["x".into(), "y".into()])
        );

        let several = RequestContext::from_claims(
            &claims(&json!({"iss": "https://idp.example", "aud": ["x", "y"], "amr": "pwd"})),
            &issuers::OTHER,
        );
        assert_eq!(several.get("idp.example:aud").map(<[_]>::len), Some(2));
        assert_eq!(
            several.get("idp.example:amr"),
            Some(&["pwd".to_owned()][..])
        );
    }

    #[test]
    fn cognito_amr_is_multi_valued_and_builders_add_keys() {
        let iss = "https://cognito-identity.amazonaws.com";
        let context = RequestContext::from_claims(
            &claims(&json!({"iss": iss, "aud": "pool", "amr": ["authenticated", "accounts.google.com"]})),
            family(iss),
        )
        .with_federated_provider("cognito-identity.amazonaws.com")
        .with_role_session_name("s1")
        .with_values("x:empty", Vec::<String>::new());
        assert_eq!(
            context
                .get("cognito-identity.amazonaws.com:amr")
                .map(<[_]>::len),
            Some(2)
        );
        assert_eq!(
            context.get("AWS:federatedprovider").map(<[_]>::len),
            Some(1)
        );
        assert_eq!(
            context.get("sts:rolesessionname"),
            Some(&["s1".to_owned()][..])
        );
        assert_eq!(context.get("x:empty"), Some(&[][..]));
        assert!(context.clone().without("X:Empty").get("x:empty").is_none());
        assert!(RequestContext::from_claims(&Map::new(), &issuers::OTHER).is_empty());
    }
}
