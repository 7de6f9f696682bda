//! The trust-policy stage: lint a policy with the TP rules (and PV003 when
//! the provider is known), evaluate it against the token and report a
//! refusal as EV001. [`files`] finds policies in files and directories
//! (`lint`); [`read_policy_file`] reads the one policy a `--policy FILE`
//! names (`assume`, `check`), in any form `lint` reads.

pub mod files;

use std::path::Path;
use std::time::Instant;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::eval::{self, PolicyEvaluation};
use crate::finding::{Finding, SourceFile};
use crate::model::documents::{self, PolicyDocument, Recognised};
use crate::model::policy::Policy;
use crate::model::provider::OidcProvider;
use crate::model::token::Jwt;
use crate::net::input::{self, Input};
use crate::rules::evaluation::{self, TokenFacts};
use crate::rules::trust_policy::{self, LintOptions, source_key, trusted_providers};

use super::{Stage, StageStatus, Staged};

/// What the linter and the evaluator know beyond the document.
#[derive(Debug, Default, Clone)]
pub struct PolicyContext {
    /// The role the policy belongs to (account and partition checks).
    pub role_arn: Option<String>,
    /// The token to evaluate the policy against.
    pub token: Option<Jwt>,
    /// The IAM OIDC provider, for the audience checks (PV003).
    pub provider: Option<OidcProvider>,
    /// The provider ARN STS presents as the principal, when known.
    pub principal: Option<String>,
    /// How `oidc-doctor policy` can read the token again (see
    /// [`crate::stages::token::TokenInput::policy_flag`]).
    pub token_flag: Option<String>,
}

impl PolicyContext {
    fn lint_options(&self) -> LintOptions {
        LintOptions {
            role_arn: self.role_arn.clone(),
            token_claims: self.token.as_ref().map(|jwt| jwt.claims.clone()),
            provider: self.provider.clone(),
            token_flag: self.token_flag.clone(),
        }
    }

    fn claims(&self) -> Option<&Map<String, Value>> {
        self.token.as_ref().map(|jwt| &jwt.claims)
    }

    fn facts(&self) -> TokenFacts<'_> {
        TokenFacts {
            iss: self.token.as_ref().and_then(|j| j.claim_str("iss")),
            sub: self.token.as_ref().and_then(|j| j.claim_str("sub")),
        }
    }
}

/// One policy linted and, with a token, evaluated.
#[derive(Debug)]
pub struct Linted {
    pub findings: Vec<Finding>,
    pub evaluation: Option<PolicyEvaluation>,
    /// EV001, when the evaluation refused the token.
    pub refusal: Option<Finding>,
}

/// TP rules (PV003 with a provider) and, with a token, the evaluation.
pub fn lint_document(doc: &PolicyDocument, context: &PolicyContext) -> Linted {
    let options = context.lint_options();
    let findings = trust_policy::check(doc, &options);
    let evaluation = context.claims().map(|claims| {
        eval::evaluate_for_token(
            doc,
            claims,
            context.role_arn.as_deref(),
            context.principal.as_deref(),
        )
    });
    let refusal = evaluation
        .as_ref()
        .and_then(|e| evaluation::refused(doc, e, context.facts()));
    Linted {
        findings,
        evaluation,
        refusal,
    }
}

/// The source text a document's findings point into.
pub fn source_of(doc: &PolicyDocument) -> SourceFile {
    SourceFile {
        key: source_key(doc),
        text: doc.source.text.as_str().into(),
    }
}

/// The trust policy of one role, as the policy stage judged it.
#[derive(Debug)]
pub struct RolePolicy {
    /// Where the policy came from: `--policy FILE`, or `iam:GetRole`.
    pub source: String,
    pub document: Option<PolicyDocument>,
    pub evaluation: Option<PolicyEvaluation>,
}

/// The policy stage on one role's policy: lint it, evaluate it against the
/// token, and say in the stage row whether it admits the token.
pub fn judge_role_policy(
    document: PolicyDocument,
    source: String,
    context: &PolicyContext,
    name: &'static str,
) -> Staged<RolePolicy> {
    let started = Instant::now();
    let Linted {
        mut findings,
        evaluation,
        refusal,
    } = lint_document(&document, context);
    let refused = refusal.is_some();
    findings.extend(refusal);
    let place = document
        .resource
        .as_ref()
        .map_or_else(|| source.clone(), |r| format!("{source} ({r})"));
    let detail = match &evaluation {
        Some(e) if e.evaluation.allowed() => format!("{place}: allows the token"),
        Some(e) => format!(
            "{place}: refuses the token{}",
            crate::finding::shown(&e.evaluation.refusal_reason())
        ),
        None => format!("{place}: linted (no token to evaluate)"),
    };
    let mut stage = Stage::ran(name, &findings, started.elapsed(), detail);
    if refused {
        stage.status = StageStatus::Fail;
    }
    Staged {
        sources: vec![source_of(&document)],
        stages: vec![stage],
        findings,
        data: RolePolicy {
            source,
            document: Some(document),
            evaluation,
        },
    }
}

/// A policy that is not JSON: TP001, and a failed stage.
pub fn unparseable_role_policy(
    resource: &str,
    source: String,
    error: &crate::model::source::SyntaxError,
    name: &'static str,
) -> Staged<RolePolicy> {
    let findings = vec![trust_policy::unparseable(
        resource,
        None,
        "trust policy of this IAM role",
        error,
    )];
    Staged {
        stages: vec![Stage::ran(
            name,
            &findings,
            std::time::Duration::ZERO,
            format!("{source}: not JSON"),
        )],
        findings,
        sources: Vec::new(),
        data: RolePolicy {
            source,
            document: None,
            evaluation: None,
        },
    }
}

/// Any file `lint` reads, templates and plans included.
const POLICY_FILE: Input = Input {
    what: "policy file",
    limit: crate::net::input::MAX_LINT_FILE_BYTES,
    help: "save it with `aws iam get-role --role-name <name> --query Role.AssumeRolePolicyDocument > trust.json`",
    too_large: "templates and plans are never this large",
};

/// The trust policy a `--policy FILE` holds, in any form `lint` reads
/// (policy JSON, get-role output, a `CloudFormation` template, a Terraform
/// plan). With several policies in the file, the one for `role_name`, else
/// the one that trusts `iss`'s provider, else the first.
pub fn read_policy_file(
    path: &Path,
    role_name: Option<&str>,
    iss: Option<&str>,
) -> Result<PolicyDocument, Error> {
    let save = format!(
        "save it with `aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument > trust.json`",
        role_name.unwrap_or("<name>")
    );
    let text = input::read_text(path, &POLICY_FILE).map_err(|error| match error {
        Error::Unreadable {
            what, path, source, ..
        } => Error::Unreadable {
            what,
            path,
            source,
            help: save.clone(),
        },
        other => other,
    })?;
    let name = path.display().to_string();
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
    let recognised = if text.trim_start().starts_with(['{', '[']) {
        documents::recognise_json(&name, text)
    } else {
        documents::recognise_yaml(&name, text)
    };
    let not_a_policy = |why: String| Error::Usage {
        message: format!("--policy {name}: {why}"),
        help: format!(
            "pass the role's trust policy: `aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument > trust.json`",
            role_name.unwrap_or("<name>")
        ),
    };
    let docs = match recognised {
        Recognised::Policies(docs) => docs,
        Recognised::NotAPolicyFile => {
            return Err(not_a_policy("it holds no trust policy".to_owned()));
        }
        Recognised::Unparseable(error) | Recognised::EmbeddedUnparseable { error, .. } => {
            return Err(not_a_policy(format!(
                "it cannot be parsed: {} (line {}, column {})",
                error.message, error.line, error.column
            )));
        }
    };
    let usable: Vec<PolicyDocument> = docs
        .into_iter()
        .filter(|d| d.broken.is_none() && d.unresolved.is_none())
        .collect();
    let provider = iss.map(crate::model::issuers::provider_name);
    let for_role = |d: &&PolicyDocument| {
        role_name.is_some_and(|name| {
            d.resource.as_deref().is_some_and(|r| r.ends_with(name))
                || d.role_arn
                    .as_deref()
                    .is_some_and(|a| a.ends_with(&format!("/{name}")))
        })
    };
    let trusts = |d: &&PolicyDocument| {
        provider.is_some_and(|p| {
            Policy::from_value(d.value())
                .statements
                .iter()
                .any(|s| trusted_providers(s).iter().any(|t| t.name == p))
        })
    };
    let index = usable
        .iter()
        .position(|d| for_role(&d))
        .or_else(|| usable.iter().position(|d| trusts(&d)))
        .or_else(|| (!usable.is_empty()).then_some(0));
    match index {
        Some(i) => Ok(usable.into_iter().nth(i).ok_or_else(|| not_a_policy(String::new()))?),
        None => Err(not_a_policy(
            "its trust policies are built at deploy time (CloudFormation intrinsics, values known after apply) or broken"
                .to_owned(),
        )),
    }
}

/// A role's policy read as text (IAM's answer, URL-encoded or not).
pub fn parse_iam_policy(
    role_arn: &str,
    text: String,
) -> Result<PolicyDocument, crate::model::source::SyntaxError> {
    PolicyDocument::from_text(role_arn, text)
}
