//! EV rules: a trust policy evaluated against a token. EV001 turns a refusal
//! into a finding that names the statement, the condition, both values and
//! the smallest change that admits the token (or says that admitting it
//! would open the role to a stranger); EV002 says when the live STS answer
//! contradicts the evaluation.

use crate::eval::{Decision, Difference, ElementMatch, PolicyEvaluation};
use crate::finding::{Finding, shown};
use crate::model::documents::PolicyDocument;
use crate::model::issuers;
use crate::model::subject::owner_of;
use crate::rules::trust_policy::locate;
use crate::rules::{EV001, EV002};

/// What a token says about itself, for EV messages.
#[derive(Debug, Clone, Copy)]
pub struct TokenFacts<'a> {
    pub iss: Option<&'a str>,
    pub sub: Option<&'a str>,
}

/// EV001 when the policy refuses the token.
pub fn refused(
    doc: &PolicyDocument,
    evaluated: &PolicyEvaluation,
    token: TokenFacts<'_>,
) -> Option<Finding> {
    let evaluation = &evaluated.evaluation;
    let refused = evaluation.refused()?;
    let (pointer, message, (help, suggestion)) = if refused.decision == Decision::ExplicitDeny {
        let statement = refused.deciding_statement()?;
        (
            statement.pointer.clone(),
            format!(
                "The trust policy refuses this token: statement {} is a Deny that matches it (`{}`).",
                statement.index, refused.action
            ),
            (
                format!(
                    "A Deny wins over every Allow. Narrow statement {}'s conditions so that they do not match \
                     this token, or run the job as a caller the Deny is not meant for.",
                    statement.index
                ),
                None,
            ),
        )
    } else if let Some(failure) = refused.first_failure() {
        let candidate = refused.best_candidate()?;
        let expected: Vec<&str> = failure.expected.iter().map(|e| e.value.as_str()).collect();
        let has = match &failure.actual {
            Some(values) if !values.is_empty() => format!(
                "the token has {}",
                quoted(&values.iter().map(String::as_str).collect::<Vec<_>>())
                    .replace(" or ", ", ")
            ),
            _ => format!("the token has no `{}`", shown(claim_of(&failure.key.value))),
        };
        let why = failure.mismatch.as_ref().map_or_else(String::new, |m| {
            format!(" ({})", shown(&m.difference.describe()))
        });
        let message = format!(
            "The trust policy refuses this token: statement {}, `{}` on `{}` wants {}; {has}{why}.",
            candidate.index,
            shown(&failure.operator.value),
            shown(&failure.key.value),
            quoted(&expected),
        );
        (
            failure.key.pointer.clone(),
            message,
            condition_fix(failure, token),
        )
    } else {
        let (pointer, message, help, suggestion) =
            no_statement(evaluated, refused.action.as_str(), refused);
        (pointer, message, (help, suggestion))
    };
    let finding = Finding::new(&EV001, message, help).with_location(locate(doc, &pointer));
    Some(match suggestion {
        Some(suggestion) => finding.with_suggestion(suggestion),
        None => finding,
    })
}

/// The fix for a failed condition, with the real values: the prose, and
/// the Condition entry to paste. Never a change that would let in another
/// owner, a wildcard, or the removal of a pin.
fn condition_fix(
    failure: &crate::eval::ConditionResult,
    token: TokenFacts<'_>,
) -> (String, Option<String>) {
    let key = &failure.key.value;
    let operator = &failure.operator.value;
    let claim = claim_of(key);
    let Some(actual) = failure.actual.as_ref().and_then(|v| v.first()) else {
        return (
            format!(
                "The token carries no `{}`, so this condition cannot match it. Keep the pin: it is what keeps \
                 other callers out. Mint the token with the claim instead (the issuer decides which claims a \
                 token has; for GitHub Actions, `environment:` on the job adds `environment`).",
                shown(claim)
            ),
            None,
        );
    };
    if operator.contains("Not") {
        return (
            format!(
                "The policy excludes `{}` on purpose with `{}`. If this token should be admitted, that exclusion \
                 is what to reconsider; it usually keeps out pull requests or another context.",
                shown(actual),
                shown(operator)
            ),
            None,
        );
    }
    if let Some((theirs, ours)) = stranger(claim, actual, failure, token) {
        let (theirs, ours) = (shown(theirs), shown(ours));
        return (
            format!(
                "The token's `{}` names `{theirs}`, and the policy trusts `{ours}`: admitting it would open the \
                 role to `{theirs}`'s jobs. If this token is not meant to assume the role, the refusal is \
                 right: use the role meant for `{theirs}`. If it is, pin its exact identity (never a wildcard \
                 over the owner).",
                shown(claim)
            ),
            None,
        );
    }
    // Under a Like operator a `*` or `?` in the token's value would be a
    // wildcard: IAM's `${*}` and `${?}` match the character itself.
    let like = operator.contains("Like");
    let literal = |value: &str| {
        if like {
            value
                .replace('$', "${$}")
                .replace('*', "${*}")
                .replace('?', "${?}")
        } else {
            value.to_owned()
        }
    };
    let admitted = literal(actual);
    let mut values: Vec<&str> = failure.expected.iter().map(|e| e.value.as_str()).collect();
    let difference = failure.mismatch.as_ref().map(|m| &m.difference);
    if difference == Some(&Difference::CaseOnly) {
        return (
            format!(
                "Values compare case-sensitively: write `{}` exactly as the token has it:",
                shown(actual)
            ),
            Some(fragment(operator, key, &[admitted.as_str()])),
        );
    }
    // An audience is one value the clients request: pin that one.
    if claim.eq_ignore_ascii_case("aud")
        && token.iss.is_some_and(|iss| {
            issuers::detect(iss, token.sub)
                .usual_audiences
                .contains(&actual.as_str())
        })
    {
        return (
            format!(
                "The token carries `{}`, the audience its clients request: pin that one instead:",
                shown(actual)
            ),
            Some(fragment(operator, key, &[admitted.as_str()])),
        );
    }
    values.push(&admitted);
    let help = match difference {
        Some(Difference::GitHubContext { token, .. }) => format!(
            "The token's `sub` names the job's `{}` context (an `environment:` in the job, a tag or a pull request \
             changes the `sub`): run the job from the context the policy names, or admit this one:",
            shown(token)
        ),
        _ => "Admit the token's value beside the ones the policy has:".to_owned(),
    };
    (help, Some(fragment(operator, key, &values)))
}

/// When the token names another owner (tenant) than every value of the
/// condition: (the token's owner, the policy's). Identity claims only:
/// `sub` read by its issuer's grammar, the repository, project and
/// namespace names (their owner is what comes before the first `/`), the
/// owner itself, any `*_id`, and the issuer's tenancy claim.
fn stranger<'a>(
    claim: &str,
    actual: &'a str,
    failure: &'a crate::eval::ConditionResult,
    token: TokenFacts<'_>,
) -> Option<(&'a str, &'a str)> {
    let family = issuers::detect(token.iss?, token.sub);
    let claim = claim.to_ascii_lowercase();
    let owner = |value: &'a str| -> Option<&'a str> {
        match claim.as_str() {
            "sub" => owner_of(family.sub_grammar, value),
            "repository" | "job_workflow_ref" | "workflow_ref" | "project_path"
            | "namespace_path" | "ci_config_ref_uri" => value.split('/').next(),
            "repository_owner" | "namespace" | "organization" | "organization_name" => Some(value),
            c if c.ends_with("_id") || c == family.tenancy_claim => Some(value),
            _ => None,
        }
    };
    let theirs = owner(actual)?;
    let mut ours = failure.expected.iter().filter_map(|e| owner(&e.value));
    let first = ours.next()?;
    let differs = |owner: &str| !owner.eq_ignore_ascii_case(theirs) && !owner.contains(['*', '?']);
    (differs(first) && ours.all(differs)).then_some((theirs, first))
}

/// The policy's Condition entry that admits `values`, ready to paste.
fn fragment(operator: &str, key: &str, values: &[&str]) -> String {
    let value = match values {
        [one] => serde_json::Value::from(*one),
        many => serde_json::Value::from(many.to_vec()),
    };
    let mut inner = serde_json::Map::new();
    inner.insert(key.to_owned(), value);
    let mut outer = serde_json::Map::new();
    outer.insert(operator.to_owned(), serde_json::Value::Object(inner));
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(outer)).unwrap_or_default();
    // JSON escapes control characters itself; bidi and zero-width ones are
    // escaped too, so what is pasted is what is seen.
    text.chars()
        .map(|c| {
            if crate::finding::is_invisible(c) {
                format!("\\u{:04x}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// EV001 when no statement applies to the principal and action at all:
/// the pointer, the message, the prose and the block to paste.
fn no_statement(
    evaluated: &PolicyEvaluation,
    action: &str,
    refused: &crate::eval::ActionEvaluation,
) -> (String, String, String, Option<String>) {
    let known = evaluated
        .principal
        .replace(":iam::000000000000:", ":iam::<role's account>:");
    let principal = shown(&known);
    let principal_listed = refused.statements.iter().any(|s| s.principal.matched());
    let action_elsewhere = refused
        .statements
        .iter()
        .any(|s| s.principal.matched() && !matches!(s.action, ElementMatch::Missing));
    if principal_listed && action != crate::eval::ASSUME_ROLE_WITH_WEB_IDENTITY {
        let why = if action == crate::eval::TAG_SESSION {
            "the token carries session tags (`https://aws.amazon.com/tags`)"
        } else {
            "the token carries a source identity"
        };
        return (
            "/Statement".to_owned(),
            format!(
                "The trust policy refuses this token: {why}, and no statement allows `{action}`."
            ),
            format!(
                "Add `{action}` beside `sts:AssumeRoleWithWebIdentity` in the statement that trusts `{principal}`:"
            ),
            Some(format!(
                "\"Action\": [\"sts:AssumeRoleWithWebIdentity\", \"{action}\"]"
            )),
        );
    }
    if principal_listed && action_elsewhere {
        return (
            "/Statement".to_owned(),
            format!(
                "The trust policy refuses this token: the statements that trust `{principal}` do not allow `{action}`."
            ),
            "Allow it in the statement that trusts the provider:".to_owned(),
            Some(format!("\"Action\": \"{action}\"")),
        );
    }
    // Without the role's ARN the account is not known: say so, do not
    // suggest the stand-in the evaluation used.
    let federated = evaluated
        .principal
        .replace(":iam::000000000000:", ":iam::<role's account>:");
    let mut element = serde_json::Map::new();
    element.insert(
        "Federated".to_owned(),
        serde_json::Value::from(federated.as_str()),
    );
    (
        "/Statement".to_owned(),
        format!(
            "The trust policy refuses this token: no statement trusts `{principal}`, the provider STS presents \
             for the token's issuer."
        ),
        "Trust that provider in the statement meant for this caller; where the policy names a provider ARN that \
         looks the same, compare account, partition and name (PV005, TP106, TP107):"
            .to_owned(),
        Some(format!(
            "\"Principal\": {}",
            serde_json::Value::Object(element)
        )),
    )
}

/// EV002: the live answer contradicts the evaluation. `sts_allowed` is
/// whether STS issued credentials; `answer` is STS's words (on success,
/// the assumed-role ARN it gave).
pub fn disagrees(
    evaluated: &PolicyEvaluation,
    sts_allowed: bool,
    answer: &str,
    policy_source: &str,
    role_arn: &str,
) -> Option<Finding> {
    let allowed = evaluated.evaluation.allowed();
    if allowed == sts_allowed {
        return None;
    }
    Some(if sts_allowed {
        Finding::new(
            &EV002,
            format!(
                "STS issued credentials ({}), but the evaluation of the trust policy ({}) refuses the token{}. \
                 The evaluation is wrong, or the policy read is not the role's current one.",
                shown(answer),
                shown(policy_source),
                shown(&evaluated.evaluation.refusal_reason())
            ),
            format!(
                "Read the role's policy again (`aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument`) \
                 and compare; if it is the same, please report the policy and the token's claims (never the token itself).",
                shown(crate::model::arn::role_name(role_arn))
            ),
        )
    } else {
        Finding::new(
            &EV002,
            format!(
                "STS refused the token ({}), but the trust policy ({}) allows it as evaluated here.",
                shown(answer),
                shown(policy_source)
            ),
            "What the evaluation cannot see: a resource control policy (RCP) of AWS Organizations on \
             `sts:AssumeRoleWithWebIdentity`; a trust policy changed moments ago (IAM takes a few seconds to \
             apply it) or changed since it was read; a role ARN that names another role than the one whose policy \
             was read (path, account: PV006). Check those in that order.",
        )
    })
}

/// `a`, or `a` or `b`, each shown escaped.
fn quoted(values: &[&str]) -> String {
    match values {
        [] => "a value".to_owned(),
        many => many
            .iter()
            .map(|v| format!("`{}`", shown(v)))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// `sub` of `token.actions.githubusercontent.com:sub`.
fn claim_of(key: &str) -> &str {
    key.rsplit_once(':').map_or(key, |(_, claim)| claim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate_for_token;

    const PROVIDER: &str =
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

    fn doc(condition: &serde_json::Value) -> PolicyDocument {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }]
        });
        PolicyDocument::from_text("role.json", serde_json::to_string_pretty(&policy).unwrap())
            .unwrap()
    }

    fn claims(sub: &str) -> serde_json::Map<String, serde_json::Value> {
        serde_json::json!({
            "iss": "https://token.actions.githubusercontent.com",
            "sub": sub,
            "aud": "sts.amazonaws.com",
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn ev001(condition: &serde_json::Value, sub: &str) -> Option<Finding> {
        let doc = doc(condition);
        let evaluated = evaluate_for_token(&doc, &claims(sub), None, None);
        refused(
            &doc,
            &evaluated,
            TokenFacts {
                iss: Some("https://token.actions.githubusercontent.com"),
                sub: Some(sub),
            },
        )
    }

    #[test]
    fn a_refused_branch_names_both_values_and_a_fragment_that_admits_it() {
        let finding = ev001(
            &serde_json::json!({"StringEquals": {
                "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
            }}),
            "repo:acme/app:ref:refs/heads/feature-x",
        )
        .unwrap();
        assert_eq!(finding.code(), "EV001");
        assert!(
            finding
                .message
                .contains("wants `repo:acme/app:ref:refs/heads/main`")
                && finding
                    .message
                    .contains("the token has `repo:acme/app:ref:refs/heads/feature-x`"),
            "{}",
            finding.message
        );
        let suggestion = finding.suggestion.as_deref().unwrap();
        assert!(
            suggestion.contains(
                "\"token.actions.githubusercontent.com:sub\": [\n      \"repo:acme/app:ref:refs/heads/main\",\n      \"repo:acme/app:ref:refs/heads/feature-x\""
            ),
            "{suggestion}"
        );
        let pasted: serde_json::Value = serde_json::from_str(suggestion).unwrap();
        assert!(
            pasted["StringEquals"].is_object(),
            "a Condition entry that parses"
        );
        let location = finding.location.unwrap();
        assert_eq!(
            location.pointer,
            "/Statement/0/Condition/StringEquals/token.actions.githubusercontent.com:sub"
        );
        assert!(location.line > 1);
    }

    #[test]
    fn a_token_of_another_owner_is_not_offered_a_way_in() {
        let finding = ev001(
            &serde_json::json!({"StringLike": {
                "token.actions.githubusercontent.com:sub": "repo:acme/*"
            }}),
            "repo:evil/app:ref:refs/heads/main",
        )
        .unwrap();
        assert!(
            finding
                .help
                .contains("would open the role to `evil`'s jobs"),
            "{}",
            finding.help
        );
        assert!(!finding.help.contains("\"repo:evil"), "{}", finding.help);
        assert!(
            finding.suggestion.is_none(),
            "nothing to paste for a stranger"
        );
    }

    #[test]
    fn an_allowed_token_has_no_ev001() {
        assert!(
            ev001(
                &serde_json::json!({"StringLike": {
                    "token.actions.githubusercontent.com:sub": "repo:acme/app:*"
                }}),
                "repo:acme/app:ref:refs/heads/main",
            )
            .is_none()
        );
    }

    #[test]
    fn a_policy_for_another_provider_says_which_principal_to_trust() {
        let doc = doc(&serde_json::json!({}));
        let mut claims = claims("system:serviceaccount:ci:deploy");
        claims.insert(
            "iss".to_owned(),
            "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789".into(),
        );
        let evaluated = evaluate_for_token(&doc, &claims, None, None);
        let finding = refused(
            &doc,
            &evaluated,
            TokenFacts {
                iss: None,
                sub: None,
            },
        )
        .unwrap();
        assert!(
            finding.message.contains("no statement trusts"),
            "{}",
            finding.message
        );
        let suggestion = finding.suggestion.unwrap();
        assert!(
            suggestion.contains("oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF"),
            "{suggestion}"
        );
    }

    #[test]
    fn values_from_the_token_are_shown_escaped() {
        let finding = ev001(
            &serde_json::json!({"StringEquals": {
                "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
            }}),
            "repo:acme/app:ref:refs/heads/x\n::error::owned\u{202e}",
        )
        .unwrap();
        assert!(!finding.message.contains('\n'), "{}", finding.message);
        assert!(!finding.message.contains('\u{202e}'), "{}", finding.message);
        assert!(
            finding.message.contains("\\u{a}::error::owned\\u{202e}"),
            "{}",
            finding.message
        );
        // The fragment is JSON: its strings escape the newline themselves.
        assert!(!finding.suggestion.unwrap().contains("x\n::"));
    }

    #[test]
    fn another_repository_is_never_offered_whatever_the_pinned_claim() {
        let doc = doc(&serde_json::json!({"StringEquals": {
            "token.actions.githubusercontent.com:repository": "acme/app",
            "token.actions.githubusercontent.com:repository_id": "7654321"
        }}));
        let mut claims = claims("repo:evil/app:ref:refs/heads/main");
        claims.insert("repository".to_owned(), "evil/app".into());
        claims.insert("repository_id".to_owned(), "1111111".into());
        let evaluated = evaluate_for_token(&doc, &claims, None, None);
        let finding = refused(
            &doc,
            &evaluated,
            TokenFacts {
                iss: Some("https://token.actions.githubusercontent.com"),
                sub: Some("repo:evil/app:ref:refs/heads/main"),
            },
        )
        .unwrap();
        assert!(
            finding.help.contains("open the role to `evil`'s jobs"),
            "{}",
            finding.help
        );
        assert!(finding.suggestion.is_none());
    }

    #[test]
    fn a_wildcard_in_the_tokens_value_is_admitted_as_the_character_itself() {
        let finding = ev001(
            &serde_json::json!({"StringLike": {
                "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
            }}),
            "repo:acme/app:ref:refs/heads/*",
        )
        .unwrap();
        let suggestion = finding.suggestion.unwrap();
        assert!(suggestion.contains("refs/heads/${*}"), "{suggestion}");
        assert!(!suggestion.contains("heads/*\""), "{suggestion}");
    }

    #[test]
    fn a_missing_claim_never_advises_removing_the_pin() {
        let finding = ev001(
            &serde_json::json!({"StringEquals": {
                "token.actions.githubusercontent.com:environment": "production"
            }}),
            "repo:acme/app:ref:refs/heads/main",
        )
        .unwrap();
        assert!(
            !finding.help.to_lowercase().contains("remove"),
            "{}",
            finding.help
        );
        assert!(finding.help.contains("Keep the pin"), "{}", finding.help);
        assert!(finding.suggestion.is_none());
    }

    #[test]
    fn an_exclusion_is_not_undone_by_a_fragment() {
        let finding = ev001(
            &serde_json::json!({
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"},
                "StringNotEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/app:pull_request"}
            }),
            "repo:acme/app:pull_request",
        )
        .unwrap();
        assert!(
            finding
                .help
                .contains("excludes `repo:acme/app:pull_request` on purpose"),
            "{}",
            finding.help
        );
        assert!(finding.suggestion.is_none());
    }

    #[test]
    fn ev002_only_when_the_answer_contradicts_the_evaluation() {
        let doc = doc(&serde_json::json!({"StringEquals": {
            "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
        }}));
        let evaluated = evaluate_for_token(
            &doc,
            &claims("repo:acme/app:ref:refs/heads/main"),
            None,
            None,
        );
        let role = "arn:aws:iam::123456789012:role/ci/deploy";
        assert!(disagrees(&evaluated, true, "", "role.json", role).is_none());
        let finding = disagrees(&evaluated, false, "AccessDenied", "role.json", role).unwrap();
        assert_eq!(finding.code(), "EV002");
        assert!(finding.help.contains("resource control policy"));
        let refusing = evaluate_for_token(
            &doc,
            &claims("repo:acme/app:ref:refs/heads/other"),
            None,
            None,
        );
        let finding = disagrees(
            &refusing,
            true,
            "as `arn:aws:sts::123456789012:assumed-role/deploy/s`",
            "role.json",
            role,
        )
        .unwrap();
        assert!(
            finding.message.contains("assumed-role/deploy/s"),
            "{}",
            finding.message
        );
        assert!(
            finding.help.contains("get-role --role-name deploy --query"),
            "{}",
            finding.help
        );
    }
}
