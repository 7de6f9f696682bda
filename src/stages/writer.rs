//! The writer stage: the trust policy a caller needs, checked the way
//! `lint` checks any policy before it is handed over. A policy that some
//! rule flags above info (a pattern asked for that is too broad, a pull
//! request trusted) is refused, naming the rule; one written for a token
//! must admit that token.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::eval;
use crate::finding::Severity;
use crate::model::documents::PolicyDocument;
use crate::model::writer::{self, Caller};
use crate::rules::trust_policy::{self, LintOptions};

/// The form the policy is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Json,
    Terraform,
    CloudFormation,
}

/// What the writer needs beyond the caller.
#[derive(Debug, Clone)]
pub struct WriteRequest<'a> {
    pub caller: &'a Caller,
    /// `--audience`, when given.
    pub audience: Option<&'a str>,
    pub provider_arn: &'a str,
    /// The token's claims, when the policy is written for a token.
    pub claims: Option<&'a Map<String, Value>>,
    pub rendering: Rendering,
    pub role_name: &'a str,
}

/// The policy, rendered; or a usage error that says why none is written.
pub fn write(request: &WriteRequest<'_>) -> Result<String, Error> {
    let caller = request.caller;
    let spec = caller.spec(request.audience).ok_or_else(|| Error::Usage {
        message: format!(
            "no usual audience is known for the issuer {}",
            caller.issuer()
        ),
        help: "give the audience its tokens carry with --audience".to_owned(),
    })?;
    // IAM reads `${...}` in a condition value as a policy variable.
    if let Some(value) = spec
        .pins
        .iter()
        .flat_map(|pin| &pin.values)
        .find(|value| value.contains("${"))
    {
        return Err(Error::Usage {
            message: format!(
                "`{value}` holds `${{`, which IAM reads as the start of a policy variable: the \
                 policy would not pin what it says"
            ),
            help: "name a branch, tag, environment or project without `${`".to_owned(),
        });
    }
    let suffix = format!(":oidc-provider/{}", spec.provider);
    if !request.provider_arn.ends_with(&suffix) {
        return Err(Error::Usage {
            message: format!(
                "--provider-arn {} is not the IAM OIDC provider of {}",
                request.provider_arn,
                caller.issuer()
            ),
            help: format!(
                "give the provider whose name is {} (arn:aws:iam::<account>{suffix}), or --account ID",
                spec.provider
            ),
        });
    }
    let policy = spec.policy(request.provider_arn);
    let text = serde_json::to_string_pretty(&policy).unwrap_or_default();
    let doc = PolicyDocument::from_text("policy", text.clone()).map_err(|error| Error::Usage {
        message: format!("the written policy does not parse: {}", error.message),
        help: "report this as a bug".to_owned(),
    })?;
    let role_arn = role_arn(request.provider_arn, request.role_name);
    let options = LintOptions {
        role_arn: role_arn.clone(),
        token_claims: request.claims.cloned(),
        provider: None,
        token_flag: None,
    };
    let flagged = trust_policy::check(&doc, &options)
        .into_iter()
        .find(|f| f.severity > Severity::Info);
    if let Some(finding) = flagged {
        return Err(Error::Usage {
            message: format!(
                "a trust policy for {} would be flagged by {} {} ({}): {}",
                caller.subjects().join(", "),
                finding.rule.code,
                finding.rule.slug,
                finding.severity.as_str(),
                finding.message
            ),
            help: format!(
                "{} (`oidc-doctor explain {}`); name exactly the runs that need the role",
                finding.help.trim_end_matches('.'),
                finding.rule.code
            ),
        });
    }
    if let Some(claims) = request.claims {
        let evaluation = eval::evaluate_for_token(
            &doc,
            claims,
            role_arn.as_deref(),
            Some(request.provider_arn),
        );
        if !evaluation.evaluation.allowed() {
            return Err(Error::Usage {
                message: format!(
                    "the written policy would not admit the token: {}",
                    evaluation.evaluation.refusal_reason()
                ),
                help: "check the token's claims with `oidc-doctor decode`".to_owned(),
            });
        }
    }
    Ok(match request.rendering {
        Rendering::Json => format!("{text}\n"),
        Rendering::Terraform => writer::terraform(&spec, request.provider_arn, request.role_name),
        Rendering::CloudFormation => {
            writer::cloudformation(&spec, request.provider_arn, request.role_name)
        }
    })
}

/// The role's ARN in the provider's account, for the account and
/// partition checks.
fn role_arn(provider_arn: &str, role_name: &str) -> Option<String> {
    let mut parts = provider_arn.splitn(6, ':');
    let (_, partition, _, _, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some(format!("arn:{partition}:iam::{account}:role/{role_name}"))
}
