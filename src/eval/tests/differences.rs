//! The explanation of a refusal: the failing condition, its pointers, the
//! closest expected value and the kind of difference, on GitHub tokens as
//! STS sees them.

use serde_json::{Value, json};

use crate::eval::{Difference, Outcome, Request, RequestContext, evaluate};
use crate::model::issuers;
use crate::model::policy::Policy;

const GITHUB: &str = "token.actions.githubusercontent.com";
const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

fn github_context(sub: &str) -> RequestContext {
    let claims = json!({
        "iss": format!("https://{GITHUB}"), "sub": sub, "aud": "sts.amazonaws.com",
        "repository": "acme/app", "repository_id": 123, "ref": "refs/heads/main"
    });
    let claims = claims.as_object().cloned().unwrap_or_default();
    RequestContext::from_claims(&claims, issuers::detect(&format!("https://{GITHUB}"), None))
}

fn github_policy(operator: &str, sub: &Value) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {format!("{GITHUB}:aud"): "sts.amazonaws.com"},
                operator: {format!("{GITHUB}:sub"): sub}
            }
        }]
    })
}

#[rustfmt::skip]
#[test]
fn each_difference_kind_explains_the_refusal() {
    let main = "repo:acme/app:ref:refs/heads/main";
    let cases: Vec<(&str, Value, &str, Difference)> = vec![
        ("StringEquals", json!("repo:Acme/App:ref:refs/heads/main"), main, Difference::CaseOnly),
        ("StringEquals", json!(main), "repo:acme/app:environment:prod",
         Difference::GitHubContext { token: "environment:prod".into(), policy: "ref:refs/heads/main".into() }),
        ("StringLike", json!("repo:acme/app:*"), "repo:acme@1/app@2:ref:refs/heads/main", Difference::SubjectForm { token_immutable: true }),
        ("StringLike", json!("repo:acme@1/app@2:*"), main, Difference::SubjectForm { token_immutable: false }),
        ("StringEquals", json!("repo:acme/app"), main, Difference::TokenLonger { at: 13 }),
        ("StringLike", json!(["repo:zzz/q:*", "repo:acme/*"]), "repo:acme-evil/x:ref:refs/heads/main", Difference::DiffersAt { at: 9 }),
        ("StringLike", json!("repo:acme/*:ref:refs/heads/main"), "repo:acme/app:ref:refs/heads/dev", Difference::SuffixDiffers { at: 31 }),
        ("StringNotLike", json!("repo:acme/*"), main, Difference::Excluded),
    ];
    for (operator, sub, token_sub, difference) in cases {
        let policy = Policy::from_value(&github_policy(operator, &sub));
        let evaluation = evaluate(&policy, &github_context(token_sub), &Request::new(ARN));
        assert!(!evaluation.allowed(), "{sub} vs {token_sub}");
        let failure = evaluation.first_failure().expect("a failing condition");
        assert_eq!(failure.key.pointer, format!("/Statement/0/Condition/{operator}/{GITHUB}:sub"));
        assert_eq!(failure.operator.value, operator);
        assert_eq!(failure.outcome, Outcome::NotMatched);
        let mismatch = failure.mismatch.as_ref().expect("a mismatch");
        assert_eq!(mismatch.difference, difference, "{sub} vs {token_sub}");
        assert_eq!(mismatch.actual.as_deref(), Some(token_sub));
        let expected = mismatch.expected.as_ref().expect("the closest value");
        assert!(expected.pointer.starts_with(&failure.key.pointer), "{}", expected.pointer);
    }
}

#[test]
fn closest_value_among_several_carries_its_pointer() {
    let sub = json!([
        "repo:acme/web:ref:refs/heads/main",
        "repo:acme/app:ref:refs/heads/main"
    ]);
    let policy = Policy::from_value(&github_policy("StringEquals", &sub));
    let evaluation = evaluate(
        &policy,
        &github_context("repo:acme/app:pull_request"),
        &Request::new(ARN),
    );
    let failure = evaluation.first_failure().expect("a failing condition");
    let mismatch = failure.mismatch.as_ref().expect("a mismatch");
    let expected = mismatch.expected.as_ref().expect("the closest value");
    assert_eq!(expected.value, "repo:acme/app:ref:refs/heads/main");
    assert_eq!(
        expected.pointer,
        format!("/Statement/0/Condition/StringEquals/{GITHUB}:sub/1")
    );
    assert_eq!(
        mismatch.difference,
        Difference::GitHubContext {
            token: "pull_request".into(),
            policy: "ref:refs/heads/main".into()
        }
    );
    assert_eq!(failure.expected.len(), 2);
}

#[test]
fn an_absent_key_is_the_difference() {
    // `actor` is not in the token; a misspelt prefix is never in the context.
    let document = json!({
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"token.actions.githubuser.content.com:sub": "repo:acme/app:ref:refs/heads/main"}}
        }]
    });
    let evaluation = evaluate(
        &Policy::from_value(&document),
        &github_context("repo:acme/app:ref:refs/heads/main"),
        &Request::new(ARN),
    );
    let failure = evaluation.first_failure().expect("a failing condition");
    assert_eq!(failure.outcome, Outcome::KeyAbsent);
    assert_eq!(failure.actual, None);
    let mismatch = failure.mismatch.as_ref().expect("a mismatch");
    assert_eq!(mismatch.difference, Difference::KeyAbsent);
    assert!(mismatch.expected.is_none());
}

#[test]
fn a_github_token_passes_a_correct_policy() {
    let document = github_policy("StringLike", &json!("repo:acme/app:ref:refs/heads/main"));
    let mut document = document;
    document["Statement"][0]["Condition"]["StringEquals"][format!("{GITHUB}:repository_id")] =
        json!(123);
    let evaluation = evaluate(
        &Policy::from_value(&document),
        &github_context("repo:acme/app:ref:refs/heads/main"),
        &Request::new(ARN),
    );
    assert!(evaluation.allowed());
    let deciding = evaluation.deciding_statement().expect("the Allow");
    assert_eq!(deciding.conditions.len(), 3);
    assert!(
        deciding
            .conditions
            .iter()
            .all(|c| c.outcome == Outcome::Matched)
    );
    assert!(evaluation.first_failure().is_none());
}

#[test]
fn fail_open_outcomes_are_marked() {
    let document = json!({
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "ForAllValues:StringEquals": {"token.actions.githubusercontent.com:actor": "octocat"},
                "StringLikeIfExists": {"token.actions.githubusercontent.com:workflow": "deploy"},
                "StringNotEquals": {"token.actions.githubusercontent.com:environment": "prod"}
            }
        }]
    });
    let evaluation = evaluate(
        &Policy::from_value(&document),
        &github_context("repo:acme/app:ref:refs/heads/main"),
        &Request::new(ARN),
    );
    assert!(evaluation.allowed());
    let outcomes: Vec<&Outcome> = evaluation.actions[0].statements[0]
        .conditions
        .iter()
        .map(|c| &c.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            &Outcome::VacuousForAllValues,
            &Outcome::AbsentIfExists,
            &Outcome::AbsentNegated
        ]
    );
    assert!(outcomes.iter().all(|o| o.is_fail_open()));
}
