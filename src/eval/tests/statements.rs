//! Statements: principal, action, effect, Deny over Allow, `NotPrincipal`,
//! `NotAction`, extra actions, and which statement and condition decide.

use serde_json::{Value, json};

use super::{PROVIDER, Row, context, run};
use crate::eval::{
    Decision, ElementMatch, Outcome, Request, RequestContext, evaluate, evaluate_document,
};
use crate::model::policy::Policy;

const SUB: &str = "idp.example:sub";

/// A statement with `effect`, `principal` and `action`, conditioned on `sub`.
fn statement(effect: &str, principal: &Value, action: &Value, sub: &str) -> Value {
    json!({
        "Effect": effect,
        "Principal": principal,
        "Action": action,
        "Condition": {"StringLike": {SUB: sub}}
    })
}

fn policy(statements: &[Value]) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn federated() -> Value {
    json!({"Federated": PROVIDER})
}

fn assume() -> Value {
    json!("sts:AssumeRoleWithWebIdentity")
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    let allow = statement("Allow", &federated(), &assume(), "repo:acme/*");
    let deny_evil = statement("Deny", &federated(), &assume(), "repo:acme/evil*");
    vec![
        ("Allow applies", policy(std::slice::from_ref(&allow)), &["idp.example:sub=repo:acme/app"], true, None),
        ("Deny overrides Allow", policy(&[allow.clone(), deny_evil.clone()]), &["idp.example:sub=repo:acme/evil-app"], false, None),
        ("Deny that does not apply", policy(&[allow.clone(), deny_evil]), &["idp.example:sub=repo:acme/app"], true, None),
        ("principal mismatch", policy(&[statement("Allow", &json!({"Federated": "arn:aws:iam::123456789012:oidc-provider/other.example"}), &assume(), "*")]), &["idp.example:sub=x"], false, None),
        ("principal is not an AWS account", policy(&[statement("Allow", &json!({"AWS": "arn:aws:iam::123456789012:root"}), &assume(), "*")]), &["idp.example:sub=x"], false, None),
        ("Principal * matches", policy(&[statement("Allow", &json!("*"), &assume(), "*")]), &["idp.example:sub=x"], true, None),
        ("Federated * matches", policy(&[statement("Allow", &json!({"Federated": "*"}), &assume(), "*")]), &["idp.example:sub=x"], true, None),
        ("AWS * matches", policy(&[statement("Allow", &json!({"AWS": "*"}), &assume(), "*")]), &["idp.example:sub=x"], true, None),
        ("one of several providers", policy(&[statement("Allow", &json!({"Federated": ["accounts.google.com", PROVIDER]}), &assume(), "*")]), &["idp.example:sub=x"], true, None),
        ("action wildcard *", policy(&[statement("Allow", &federated(), &json!("sts:AssumeRole*"), "*")]), &["idp.example:sub=x"], true, None),
        ("action wildcard ?", policy(&[statement("Allow", &federated(), &json!("sts:AssumeRoleWith?ebIdentity"), "*")]), &["idp.example:sub=x"], true, None),
        ("action case-insensitive", policy(&[statement("Allow", &federated(), &json!("STS:assumerolewithwebidentity"), "*")]), &["idp.example:sub=x"], true, None),
        ("action sts:AssumeRole does not cover it", policy(&[statement("Allow", &federated(), &json!(["sts:AssumeRole", "sts:TagSession"]), "*")]), &["idp.example:sub=x"], false, None),
        ("invalid Effect never applies", policy(&[statement("Permit", &federated(), &assume(), "*")]), &["idp.example:sub=x"], false, None),
        ("best candidate names the failing key", policy(&[allow.clone(), statement("Allow", &json!({"Federated": "accounts.google.com"}), &assume(), "*")]), &["idp.example:sub=repo:other/app"], false, Some(SUB)),
        ("an Allow per repository", policy(&[allow, statement("Allow", &federated(), &assume(), "repo:other/*")]), &["idp.example:sub=repo:other/app"], true, None),
    ]
}

#[test]
fn statement_table() {
    run(&rows(), &Request::new(PROVIDER));
}

#[test]
fn deny_is_the_deciding_statement() {
    let document = policy(&[
        statement("Allow", &federated(), &assume(), "*"),
        json!({"Sid": "NoForks", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
               "Condition": {"StringNotLike": {SUB: "repo:acme/*"}}}),
    ]);
    let evaluation = evaluate(
        &Policy::from_value(&document),
        &context(&["idp.example:sub=repo:fork/app"]),
        &Request::new(PROVIDER),
    );
    assert_eq!(evaluation.actions[0].decision, Decision::ExplicitDeny);
    let deciding = evaluation.deciding_statement().expect("the Deny");
    assert_eq!(
        (deciding.sid.as_deref(), deciding.pointer.as_str()),
        (Some("NoForks"), "/Statement/1")
    );
    assert!(evaluation.first_failure().is_none());

    // A negated Deny on a key the token lacks applies too (fail open, S07).
    let evaluation = evaluate(
        &Policy::from_value(&document),
        &RequestContext::new(),
        &Request::new(PROVIDER),
    );
    assert_eq!(evaluation.actions[0].decision, Decision::ExplicitDeny);
    assert_eq!(
        evaluation
            .deciding_statement()
            .expect("the Deny")
            .conditions[0]
            .outcome,
        Outcome::AbsentNegated
    );

    let allowed = evaluate(
        &Policy::from_value(&document),
        &context(&["idp.example:sub=repo:acme/app"]),
        &Request::new(PROVIDER),
    );
    assert!(allowed.allowed());
    assert_eq!(allowed.deciding_statement().map(|s| s.index), Some(0));
}

#[test]
fn not_principal_applies_to_everyone_except_the_listed() {
    let sub = ["idp.example:sub=repo:acme/app"];
    let deny_others = policy(&[
        statement("Allow", &federated(), &assume(), "*"),
        json!({"Effect": "Deny", "NotPrincipal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/other.example"}, "Action": "sts:*"}),
    ]);
    let evaluation = evaluate_document(&deny_others, &context(&sub), &Request::new(PROVIDER));
    assert!(!evaluation.allowed());
    assert_eq!(
        evaluation.actions[0].statements[1].principal,
        ElementMatch::NotExcluded {
            pointer: "/Statement/1/NotPrincipal".into(),
            list_known: true
        }
    );

    let allow_except_us = policy(&[
        json!({"Effect": "Allow", "NotPrincipal": {"Federated": [PROVIDER]}, "Action": "sts:AssumeRoleWithWebIdentity"}),
    ]);
    let evaluation = evaluate_document(&allow_except_us, &context(&sub), &Request::new(PROVIDER));
    assert!(!evaluation.allowed());
    assert_eq!(
        evaluation.actions[0].statements[0].principal,
        ElementMatch::Excluded {
            pointer: "/Statement/0/NotPrincipal".into()
        }
    );

    // Without the document the model holds no list: taken as not excluded.
    let evaluation = evaluate(
        &Policy::from_value(&allow_except_us),
        &context(&sub),
        &Request::new(PROVIDER),
    );
    assert!(evaluation.allowed());
    assert!(matches!(
        evaluation.actions[0].statements[0].principal,
        ElementMatch::NotExcluded {
            list_known: false,
            ..
        }
    ));
}

#[test]
fn not_action_applies_to_every_other_action() {
    let sub = context(&["idp.example:sub=x"]);
    let not_action = |excluded: Value| {
        policy(&[
            json!({"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "NotAction": excluded}),
        ])
    };
    let request = Request::new(PROVIDER);
    assert!(evaluate_document(&not_action(json!("sts:AssumeRole")), &sub, &request).allowed());
    assert!(
        !evaluate_document(
            &not_action(json!(["iam:*", "sts:AssumeRoleWith*"])),
            &sub,
            &request
        )
        .allowed()
    );
    let evaluation = evaluate(
        &Policy::from_value(&not_action(json!("sts:AssumeRole"))),
        &sub,
        &request,
    );
    assert!(matches!(
        evaluation.actions[0].statements[0].action,
        ElementMatch::NotExcluded {
            list_known: false,
            ..
        }
    ));
}

#[test]
fn tags_and_source_identity_need_their_actions() {
    let claims = json!({"sub": "x", "https://aws.amazon.com/tags": {"principal_tags": {"team": ["a"]}},
                        "https://aws.amazon.com/source_identity": "admin"});
    let request = Request::for_claims(PROVIDER, claims.as_object().expect("an object"));
    assert_eq!(
        request.actions,
        [
            "sts:AssumeRoleWithWebIdentity",
            "sts:TagSession",
            "sts:SetSourceIdentity"
        ]
    );
    let sub = context(&["idp.example:sub=x"]);
    let only_assume = policy(&[statement("Allow", &federated(), &assume(), "*")]);
    let evaluation = evaluate(&Policy::from_value(&only_assume), &sub, &request);
    assert!(!evaluation.allowed());
    let refused = evaluation.refused().expect("a refused action");
    assert_eq!(
        (refused.action.as_str(), refused.decision),
        ("sts:TagSession", Decision::ImplicitDeny)
    );
    assert!(evaluation.best_candidate().is_none());

    let all = policy(&[statement(
        "Allow",
        &federated(),
        &json!([
            "sts:AssumeRoleWithWebIdentity",
            "sts:TagSession",
            "sts:SetSourceIdentity"
        ]),
        "*",
    )]);
    assert!(evaluate(&Policy::from_value(&all), &sub, &request).allowed());
    let plain = Request::for_claims(
        PROVIDER,
        json!({"sub": "x"}).as_object().expect("an object"),
    );
    assert!(evaluate(&Policy::from_value(&only_assume), &sub, &plain).allowed());
}

#[test]
fn best_candidate_has_the_most_conditions_matched() {
    let document = policy(&[
        json!({"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
               "Condition": {"StringEquals": {"idp.example:aud": "other", SUB: "nope"}}}),
        json!({"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
               "Condition": {"StringEquals": {"idp.example:aud": "sts", SUB: "nope"}}}),
    ]);
    let evaluation = evaluate(
        &Policy::from_value(&document),
        &context(&["idp.example:aud=sts", "idp.example:sub=u"]),
        &Request::new(PROVIDER),
    );
    assert_eq!(evaluation.best_candidate().map(|s| s.index), Some(1));
    let failure = evaluation.first_failure().expect("a failure");
    assert_eq!(
        failure.key.pointer,
        "/Statement/1/Condition/StringEquals/idp.example:sub"
    );
    assert_eq!(failure.actual.as_deref(), Some(&["u".to_owned()][..]));
}
