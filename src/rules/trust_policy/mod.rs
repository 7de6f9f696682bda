//! TP rules: the role trust policy, judged offline. Every statement, every
//! operator and every value is checked; a later statement is never skipped
//! because an earlier one trusted another principal.

mod action;
mod audiences;
pub use audiences::pinned_audiences;
mod document;
mod keys;
mod lookalike;
mod operators;
mod presence;
mod principal;
pub mod remedy;
pub mod subjects;
mod values;

use crate::finding::{Finding, Location};
use crate::model::documents::{InputKind, PolicyDocument};
use crate::model::issuers::{self, IssuerFamily};
use crate::model::policy::{Condition, Policy, Statement};
use crate::model::source::{SyntaxError, below};
use crate::rules::{Rule, TP001, TP002, TP009};

/// What the linter knows beyond the document.
#[derive(Debug, Default, Clone)]
pub struct LintOptions {
    /// `--role-arn`: the role the policy belongs to (account and partition).
    pub role_arn: Option<String>,
    /// `--token`: the claims of the token the role is for (TP203, TP204).
    pub token_claims: Option<serde_json::Map<String, serde_json::Value>>,
    /// `--provider-json`: the IAM OIDC provider, for the audience checks (PV003).
    pub provider: Option<crate::model::provider::OidcProvider>,
    /// How `oidc-doctor policy` can read the same token again
    /// (`--token-file PATH`, `--token-env VAR`): never the token itself.
    pub token_flag: Option<String>,
}

pub use crate::model::arn::Arn;

/// A provider a statement trusts: an OIDC provider ARN or a built-in name.
#[derive(Debug, Clone)]
pub struct TrustedProvider<'a> {
    /// The provider name: the key prefix of its condition keys.
    pub name: &'a str,
    pub family: Option<&'static IssuerFamily>,
    pub arn: Option<Arn<'a>>,
    pub pointer: &'a str,
}

/// Built-in web identity principals (no IAM provider ARN).
pub const BUILTIN_PRINCIPALS: [&str; 4] = [
    "accounts.google.com",
    "cognito-identity.amazonaws.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// The web identity providers a statement trusts.
pub fn trusted_providers(statement: &Statement) -> Vec<TrustedProvider<'_>> {
    statement
        .principal
        .federated
        .iter()
        .filter_map(|federated| {
            let value = federated.value.as_str();
            if BUILTIN_PRINCIPALS.contains(&value) {
                return Some(TrustedProvider {
                    name: value,
                    family: issuers::family_of_provider(value),
                    arn: None,
                    pointer: &federated.pointer,
                });
            }
            if value.contains("${") {
                return unresolved_provider(statement, value, &federated.pointer);
            }
            let arn = Arn::parse(value)?;
            let name = arn.resource.strip_prefix("oidc-provider/")?;
            Some(TrustedProvider {
                name,
                family: issuers::family_of_provider(name),
                arn: Some(arn),
                pointer: &federated.pointer,
            })
        })
        .collect()
}

/// A provider named through a `CloudFormation` substitution
/// (`arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions...`, or
/// `${OidcProvider}` from a `Ref`): the name after `oidc-provider/` when it is
/// written out, else the provider the condition keys name. Account and
/// partition stay unknown.
fn unresolved_provider<'a>(
    statement: &'a Statement,
    value: &'a str,
    pointer: &'a str,
) -> Option<TrustedProvider<'a>> {
    let written = value
        .split_once(":oidc-provider/")
        .map(|(_, name)| name)
        .filter(|name| !name.contains("${") && !name.is_empty());
    let name = written.or_else(|| {
        statement
            .conditions
            .iter()
            .filter_map(Condition::prefix)
            .find(|prefix| !keys::is_global_key(&format!("{prefix}:")))
    })?;
    Some(TrustedProvider {
        name,
        family: issuers::family_of_provider(name),
        arn: None,
        pointer,
    })
}

/// One policy under examination, with what every rule needs.
#[derive(Debug)]
pub struct PolicyCheck<'a> {
    pub doc: &'a PolicyDocument,
    pub policy: Policy,
    pub options: &'a LintOptions,
}

impl PolicyCheck<'_> {
    /// A finding located at `pointer` (relative to the policy).
    pub fn at(&self, rule: &'static Rule, pointer: &str, message: String, help: String) -> Finding {
        Finding::new(rule, message, help).with_location(locate(self.doc, pointer))
    }

    /// The role ARN: `--role-arn`, or the one the input names.
    pub fn role_arn(&self) -> Option<Arn<'_>> {
        self.options
            .role_arn
            .as_deref()
            .or(self.doc.role_arn.as_deref())
            .and_then(Arn::parse)
    }

    /// Allow statements that trust a web identity provider.
    pub fn federated_allows(&self) -> impl Iterator<Item = &Statement> {
        self.policy
            .statements
            .iter()
            .filter(|s| s.is_allow() && !trusted_providers(s).is_empty())
    }
}

/// The location of a pointer inside a policy document: the nearest node
/// that has a span (the pointer itself, or its closest ancestor).
pub fn locate(doc: &PolicyDocument, pointer: &str) -> Location {
    let mut at = pointer;
    let span = loop {
        if let Some(span) = doc.span(at) {
            break Some(span);
        }
        match at.rfind('/') {
            Some(cut) => at = &at[..cut],
            None => break None,
        }
    };
    let (line, column) = span.map_or((1, 1), |(offset, _)| doc.source.line_column(offset));
    Location {
        path: doc.path.clone(),
        line,
        column,
        pointer: pointer.to_owned(),
        resource: doc.resource.clone(),
        span,
        source: Some(source_key(doc)),
        in_file: doc.outer,
    }
}

/// The key of the text a document's spans refer to.
pub fn source_key(doc: &PolicyDocument) -> String {
    match (
        &doc.resource,
        doc.base.is_empty() && doc.kind != InputKind::PolicyDocument,
    ) {
        (Some(resource), true) => format!("{}#{resource}", doc.path),
        _ => doc.path.clone(),
    }
}

/// Runs every TP rule on one policy document.
pub fn check(doc: &PolicyDocument, options: &LintOptions) -> Vec<Finding> {
    let check = PolicyCheck {
        doc,
        policy: match allowing_unknown_effects(doc) {
            Some(value) => Policy::from_value(&value),
            None => Policy::from_value(doc.value()),
        },
        options,
    };
    let mut findings = document::check(&check);
    findings.extend(principal::check(&check));
    findings.extend(lookalike::check(&check));
    findings.extend(action::check(&check));
    findings.extend(keys::check(&check));
    findings.extend(operators::check(&check));
    findings.extend(presence::check(&check));
    findings.extend(subjects::check(&check));
    findings.extend(values::check(&check));
    if let Some(provider) = &options.provider {
        findings.extend(audiences::check(provider, &check));
    }
    // What the source does not say (TP009) is not judged: a value holding
    // an unknown has no shape (a context, a grammar, a `$`), and where a
    // statement's shape is unknown, neither is a missing pin there.
    let (unknown, opaque) = document::unknown_structure(&check);
    if doc.kind == InputKind::TerraformSource {
        findings.retain(|f| {
            let Some(at) = f.location.as_ref().map(|l| l.pointer.as_str()) else {
                return true;
            };
            let code = &f.rule.code;
            let unknown_value = || document::holds_unknown(doc.value().pointer(at));
            let in_opaque = || opaque.iter().any(|p| below(at, p).is_some());
            !(SHAPE_OF_VALUE.contains(code) && unknown_value()
                || UNKNOWN_WHEN_OPAQUE.contains(code) && in_opaque())
        });
    }
    findings.extend(unknown);
    findings
}

/// A Terraform policy whose statements' `Effect` the source does not say,
/// with each such `Effect` taken as `Allow`: the rest of the statement is
/// judged as the worst case (TP009 says the effect was not known).
fn allowing_unknown_effects(doc: &PolicyDocument) -> Option<serde_json::Value> {
    let unknown_effect = |statement: &serde_json::Value| {
        statement
            .get("Effect")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|effect| effect.contains("${"))
    };
    let statements = doc.value().get("Statement")?.as_array()?;
    if doc.kind != InputKind::TerraformSource || !statements.iter().any(unknown_effect) {
        return None;
    }
    let mut value = doc.value().clone();
    for statement in value
        .get_mut("Statement")
        .and_then(serde_json::Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if unknown_effect(statement) {
            statement["Effect"] = serde_json::Value::String("Allow".to_owned());
        }
    }
    Some(value)
}

/// Findings about how a condition value is written, which are not known
/// for a value that holds what the source does not say.
const SHAPE_OF_VALUE: [&str; 9] = [
    "TP608", "TP609", "TP610", "TP611", "TP612", "TP614", "TP615", "TP616", "TP617",
];

/// Findings about what a statement lacks or how it is shaped, which are
/// not known for a statement the source does not say whole.
const UNKNOWN_WHEN_OPAQUE: [&str; 10] = [
    "TP002", "TP006", "TP007", "TP201", "TP501", "TP502", "TP503", "TP504", "TP505", "TP506",
];

/// TP001 for a file (or an embedded policy) that is not JSON.
pub fn unparseable(path: &str, resource: Option<&str>, what: &str, error: &SyntaxError) -> Finding {
    Finding::new(
        &TP001,
        format!(
            "The {what} cannot be parsed: {} (line {}, column {}).",
            error.message, error.line, error.column
        ),
        if what.starts_with("YAML") {
            "Fix the YAML at that position; CloudFormation cannot read the template, and no \
             policy in it was checked."
        } else if what.starts_with("Terraform") {
            "Fix the HCL at that position; Terraform cannot read the file, and no policy in it \
             was checked."
        } else {
            "Fix the JSON at that position; IAM rejects the policy (`MalformedPolicyDocument`)."
        },
    )
    .with_location(Location {
        path: path.to_owned(),
        line: error.line,
        column: error.column,
        pointer: String::new(),
        resource: resource.map(str::to_owned),
        span: None,
        source: None,
        in_file: None,
    })
}

/// TP001 for a Terraform variables file (`terraform.tfvars`...) that does
/// not parse: Terraform refuses the configuration, and the policies beside
/// it were linted with their variables' defaults.
pub fn unparseable_variables(path: &str, error: &SyntaxError) -> Finding {
    Finding::new(
        &TP001,
        format!(
            "The Terraform variables file cannot be parsed: {} (line {}, column {}).",
            error.message, error.line, error.column
        ),
        "Fix it at that position: Terraform cannot plan with it, and the policies beside it \
         were linted with their variables' defaults instead of its values.",
    )
    .with_location(Location {
        line: error.line,
        column: error.column,
        ..file_start(path, None)
    })
}

/// TP001 for a file named on the command line that cannot be read as
/// text at all (empty, not UTF-8, too large, neither JSON nor YAML).
pub fn unreadable_file(path: &str, why: &str) -> Finding {
    Finding::new(
        &TP001,
        format!("Nothing was checked in this file: it was named to be linted, but {why}."),
        "Name the trust policy file itself (JSON), `aws iam get-role` output, a CloudFormation \
         template or a Terraform plan (`terraform show -json`).",
    )
    .with_location(file_start(path, None))
}

/// TP002 for a file named on the command line that parses but holds no
/// trust policy.
pub fn no_trust_policy(path: &str, what: &str) -> Finding {
    Finding::new(
        &TP002,
        format!("Nothing was checked in this file: it was named to be linted, but {what}."),
        "A trust policy has a `Statement` whose `Principal` names the provider and whose `Action` is \
         `sts:AssumeRoleWithWebIdentity`. Name the policy file, `aws iam get-role` output, a \
         CloudFormation template or a Terraform plan; a pre-commit hook that hands over every \
         changed file can pass `--skip-unrecognised`.",
    )
    .with_location(file_start(path, None))
}

/// TP009 for a policy built at deploy time, which was not checked.
pub fn unresolved(
    path: &str,
    resource: Option<&str>,
    why: &str,
    at: Option<(usize, usize)>,
) -> Finding {
    let (line, column) = at.unwrap_or((1, 1));
    Finding::new(
        &TP009,
        format!("The trust policy is {why}: it was not checked."),
        "Write the policy as a literal document (intrinsics only inside values), or lint the \
         deployed role with `oidc-doctor scan` or `lint` on `aws iam get-role` output.",
    )
    .with_location(Location {
        line,
        column,
        ..file_start(path, resource)
    })
}

fn file_start(path: &str, resource: Option<&str>) -> Location {
    Location {
        path: path.to_owned(),
        line: 1,
        column: 1,
        pointer: String::new(),
        resource: resource.map(str::to_owned),
        span: None,
        source: None,
        in_file: None,
    }
}

/// Whether a condition is true for a request that lacks its key: `IfExists`,
/// `ForAllValues:` and the negated operators all pass when the key is absent.
pub fn passes_when_absent(condition: &Condition) -> bool {
    condition.operator.is_some_and(|op| {
        op.if_exists
            || op.set == Some(crate::model::policy::SetQualifier::ForAllValues)
            || op.base.is_negated()
    })
}

/// Whether a condition positively pins its key: a non-negated string
/// operator, without `IfExists` or `ForAllValues:`, with at least one value.
pub fn is_positive_pin(condition: &Condition) -> bool {
    condition.operator.is_some_and(|op| {
        op.base.is_string()
            && !op.base.is_negated()
            && !op.if_exists
            && op.set != Some(crate::model::policy::SetQualifier::ForAllValues)
    }) && !condition.values.is_empty()
}
