//! The IAM condition evaluator: does a trust policy allow a token's claims,
//! and which statement and condition decided. Pure: no I/O, no printing.
//!
//! ```
//! use oidc_doctor::eval::{self, Request, RequestContext};
//! use oidc_doctor::model::policy::Policy;
//!
//! let provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
//! let policy = Policy::from_value(&serde_json::json!({
//!     "Version": "2012-10-17",
//!     "Statement": [{
//!         "Effect": "Allow",
//!         "Principal": {"Federated": provider},
//!         "Action": "sts:AssumeRoleWithWebIdentity",
//!         "Condition": {"StringLike": {
//!             "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
//!         }}
//!     }]
//! }));
//! let context = RequestContext::new()
//!     .with("token.actions.githubusercontent.com:sub", "repo:acme/app:environment:prod");
//! let evaluation = eval::evaluate(&policy, &context, &Request::new(provider));
//! assert!(!evaluation.allowed());
//! let failure = evaluation.first_failure().unwrap();
//! assert_eq!(
//!     failure.key.pointer,
//!     "/Statement/0/Condition/StringLike/token.actions.githubusercontent.com:sub"
//! );
//! ```

mod context;
mod difference;
mod explain;
mod operators;
mod token;
mod typed;
pub use crate::model::wildcard;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::model::policy::{Effect, Policy, Principal, Statement};

pub use context::{FEDERATED_PROVIDER, ROLE_SESSION_NAME, RequestContext};
pub use difference::Difference;
pub use explain::{
    ActionEvaluation, ConditionResult, Decision, ElementMatch, Evaluation, Mismatch, Outcome,
    StatementResult,
};
pub use token::{PolicyEvaluation, evaluate as evaluate_for_token};

/// The action of a web-identity assume.
pub const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";
/// Also needed when the token carries session tags.
pub const TAG_SESSION: &str = "sts:TagSession";
/// Also needed when the token carries a source identity.
pub const SET_SOURCE_IDENTITY: &str = "sts:SetSourceIdentity";

/// The claim holding session tags in a web identity token.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim holding the source identity in a web identity token.
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

/// What the caller asks for: the federated principal it presents and every
/// action that must be allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The provider ARN (`arn:aws:iam::<account>:oidc-provider/<name>`) or a
    /// built-in name (`accounts.google.com`).
    pub principal: String,
    /// `sts:AssumeRoleWithWebIdentity` first, then any extra action.
    pub actions: Vec<String>,
}

impl Request {
    /// A plain web-identity assume by `principal`.
    pub fn new(principal: &str) -> Request {
        Request {
            principal: principal.to_owned(),
            actions: vec![ASSUME_ROLE_WITH_WEB_IDENTITY.to_owned()],
        }
    }

    /// The assume a token makes: `sts:TagSession` too when it carries session
    /// tags, `sts:SetSourceIdentity` too when it carries a source identity.
    pub fn for_claims(principal: &str, claims: &Map<String, Value>) -> Request {
        let mut request = Request::new(principal);
        if claims.get(TAGS_CLAIM).is_some_and(|v| !v.is_null()) {
            request = request.with_session_tags();
        }
        if claims
            .get(SOURCE_IDENTITY_CLAIM)
            .is_some_and(|v| !v.is_null())
        {
            request = request.with_source_identity();
        }
        request
    }

    /// Also requires `sts:TagSession`.
    #[must_use]
    pub fn with_session_tags(self) -> Request {
        self.with_action(TAG_SESSION)
    }

    /// Also requires `sts:SetSourceIdentity`.
    #[must_use]
    pub fn with_source_identity(self) -> Request {
        self.with_action(SET_SOURCE_IDENTITY)
    }

    /// Also requires `action`.
    #[must_use]
    pub fn with_action(mut self, action: &str) -> Request {
        if !self.actions.iter().any(|a| a == action) {
            self.actions.push(action.to_owned());
        }
        self
    }
}

/// Evaluates `policy` for the request. `NotPrincipal` and `NotAction` keep
/// no values in the policy model, so here they are taken as not excluding
/// the caller (see [`ElementMatch::NotExcluded`]); use [`evaluate_document`]
/// to read them.
pub fn evaluate(policy: &Policy, context: &RequestContext, request: &Request) -> Evaluation {
    evaluate_with(policy, None, context, request)
}

/// Reads and evaluates a policy document, `NotPrincipal` and `NotAction`
/// lists included.
pub fn evaluate_document(
    document: &Value,
    context: &RequestContext,
    request: &Request,
) -> Evaluation {
    evaluate_with(
        &Policy::from_value(document),
        Some(document),
        context,
        request,
    )
}

fn evaluate_with(
    policy: &Policy,
    document: Option<&Value>,
    context: &RequestContext,
    request: &Request,
) -> Evaluation {
    let actions = request
        .actions
        .iter()
        .map(|action| {
            let statements: Vec<StatementResult> = policy
                .statements
                .iter()
                .map(|s| statement(s, document, context, &request.principal, action))
                .collect();
            let applies = |effect: Effect| {
                statements
                    .iter()
                    .any(|s| s.effect == Some(effect) && s.applies())
            };
            let decision = if applies(Effect::Deny) {
                Decision::ExplicitDeny
            } else if applies(Effect::Allow) {
                Decision::Allowed
            } else {
                Decision::ImplicitDeny
            };
            ActionEvaluation {
                action: action.clone(),
                decision,
                statements,
            }
        })
        .collect();
    Evaluation {
        principal: request.principal.clone(),
        actions,
    }
}

fn statement(
    statement: &Statement,
    document: Option<&Value>,
    context: &RequestContext,
    principal: &str,
    action: &str,
) -> StatementResult {
    StatementResult {
        index: statement.index,
        pointer: statement.pointer.clone(),
        sid: statement.sid.clone(),
        effect: statement.effect,
        principal: principal_match(statement, document, principal),
        action: action_match(statement, document, action),
        conditions: statement
            .conditions
            .iter()
            .map(|c| operators::evaluate_condition(c, context))
            .collect(),
    }
}

/// `Principal: "*"`, `{"AWS": "*"}` (IAM reads it as everyone), or a
/// `Federated` entry equal to the caller's principal (or `*`). Principals
/// take no other wildcards.
fn principal_match(
    statement: &Statement,
    document: Option<&Value>,
    principal: &str,
) -> ElementMatch {
    if statement.principal_pointer.is_some() {
        return match listed_principal(&statement.principal, principal) {
            Some(pointer) => ElementMatch::Listed { pointer },
            None => ElementMatch::NotListed,
        };
    }
    let Some(pointer) = statement.not_principal.clone() else {
        return ElementMatch::Missing;
    };
    let Some(value) = document.and_then(|d| d.pointer(&pointer)) else {
        return ElementMatch::NotExcluded {
            pointer,
            list_known: false,
        };
    };
    let excluded = match value {
        Value::String(s) => s == "*",
        Value::Object(map) => map.values().any(|names| {
            strings(names)
                .iter()
                .any(|name| *name == "*" || *name == principal)
        }),
        _ => false,
    };
    if excluded {
        ElementMatch::Excluded { pointer }
    } else {
        ElementMatch::NotExcluded {
            pointer,
            list_known: true,
        }
    }
}

fn listed_principal(element: &Principal, principal: &str) -> Option<String> {
    if let Some(pointer) = &element.wildcard {
        return Some(pointer.clone());
    }
    element
        .federated
        .iter()
        .find(|f| f.value == "*" || f.value == principal)
        .or_else(|| element.aws.iter().find(|a| a.value == "*"))
        .map(|found| found.pointer.clone())
}

/// `Action` entries match the action as case-insensitive wildcard patterns;
/// `NotAction` applies to every action its entries do not match.
fn action_match(statement: &Statement, document: Option<&Value>, action: &str) -> ElementMatch {
    if let Some(found) = statement
        .actions
        .iter()
        .find(|a| wildcard::matches_ignore_case(&a.value, action))
    {
        return ElementMatch::Listed {
            pointer: found.pointer.clone(),
        };
    }
    let Some(pointer) = statement.not_action.clone() else {
        return if statement.actions.is_empty() {
            ElementMatch::Missing
        } else {
            ElementMatch::NotListed
        };
    };
    match document.and_then(|d| d.pointer(&pointer)) {
        Some(value)
            if strings(value)
                .iter()
                .any(|a| wildcard::matches_ignore_case(a, action)) =>
        {
            ElementMatch::Excluded { pointer }
        }
        Some(_) => ElementMatch::NotExcluded {
            pointer,
            list_known: true,
        },
        None => ElementMatch::NotExcluded {
            pointer,
            list_known: false,
        },
    }
}

/// A string or the strings of a list.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}
