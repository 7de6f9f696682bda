//! A trust policy evaluated against a token: the request the token makes
//! (its issuer's provider as the principal, the actions its claims need)
//! and the context STS builds from its claims.

use serde_json::{Map, Value};

use crate::model::arn::provider_arn_for;
use crate::model::documents::PolicyDocument;
use crate::model::issuers;
use crate::model::policy::Policy;

use super::{Evaluation, Request, RequestContext, evaluate_document};

/// One policy evaluated against one token.
#[derive(Debug, Clone)]
pub struct PolicyEvaluation {
    /// The file (or role ARN) the policy came from.
    pub path: String,
    pub resource: Option<String>,
    /// The federated principal the token's issuer presents.
    pub principal: String,
    /// Whether any statement of the policy names that principal: a policy
    /// for another issuer refuses the token by design.
    pub trusts_issuer: bool,
    pub evaluation: Evaluation,
}

impl PolicyEvaluation {
    /// `path`, or `path (resource)`.
    pub fn place(&self) -> String {
        match &self.resource {
            Some(resource) => format!("{} ({resource})", self.path),
            None => self.path.clone(),
        }
    }
}

/// Evaluates `doc` against the token's claims, as the principal of the
/// token's issuer: `principal` when the caller knows it (the provider IAM
/// holds for the issuer in the role's account: what STS presents), else the
/// provider ARN the policy names for the issuer, else one built from
/// `role_arn`'s (or the document's) partition and account.
pub fn evaluate(
    doc: &PolicyDocument,
    claims: &Map<String, Value>,
    role_arn: Option<&str>,
    principal: Option<&str>,
) -> PolicyEvaluation {
    let policy = Policy::from_value(doc.value());
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = issuers::provider_name(iss);
    let federated = || {
        policy
            .statements
            .iter()
            .flat_map(|s| &s.principal.federated)
            .map(|f| f.value.as_str())
    };
    let trusted = match principal {
        Some(known) => federated().find(|f| *f == known),
        None => federated().find(|f| *f == name || f.ends_with(&format!(":oidc-provider/{name}"))),
    };
    // Without the role's ARN, a stand-in account (EV001 says it is unknown).
    let built = || {
        role_arn
            .or(doc.role_arn.as_deref())
            .and_then(|role| provider_arn_for(role, iss))
            .unwrap_or_else(|| format!("arn:aws:iam::000000000000:oidc-provider/{name}"))
    };
    let principal = principal.or(trusted).map_or_else(built, str::to_owned);
    let family = issuers::detect(iss, claims.get("sub").and_then(Value::as_str));
    let context = RequestContext::from_claims(claims, family).with_federated_provider(&principal);
    let request = Request::for_claims(&principal, claims);
    PolicyEvaluation {
        path: doc.path.clone(),
        resource: doc.resource.clone(),
        trusts_issuer: trusted.is_some(),
        // From the document, so that NotPrincipal/NotAction names are seen too.
        evaluation: evaluate_document(doc.value(), &context, &request),
        principal,
    }
}
