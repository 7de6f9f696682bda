//! Table tests of the evaluator: one row per behaviour, each stating the
//! policy, the context, whether the assume is allowed and which condition
//! key fails first.

mod conditions;
mod differences;
mod statements;

use serde_json::{Value, json};

use super::{Evaluation, Request, RequestContext, evaluate};
use crate::model::policy::Policy;

/// The provider of most rows.
const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/idp.example";

/// One row: a name, the policy, the context (`key=v1|v2`, `key=[]` for an
/// empty set; absent keys are left out), allowed?, the failing key.
type Row = (
    &'static str,
    Value,
    &'static [&'static str],
    bool,
    Option<&'static str>,
);

/// One Allow statement for `PROVIDER` and the web-identity action with `condition`.
fn allow(condition: &Value) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition
        }]
    })
}

fn context(pairs: &[&str]) -> RequestContext {
    let mut context = RequestContext::new();
    for pair in pairs {
        let (key, values) = pair.split_once('=').unwrap_or((pair, ""));
        let values: Vec<String> = if values == "[]" {
            Vec::new()
        } else {
            values.split('|').map(str::to_owned).collect()
        };
        context.insert(key, values);
    }
    context
}

fn failing_key(evaluation: &Evaluation) -> Option<&str> {
    evaluation.first_failure().map(|c| c.key.value.as_str())
}

/// Runs rows against `request` and checks every expectation, naming the row.
fn run(rows: &[Row], request: &Request) {
    for (name, policy, pairs, allowed, failing) in rows {
        let parsed = Policy::from_value(policy);
        let evaluation = evaluate(&parsed, &context(pairs), request);
        assert_eq!(evaluation.allowed(), *allowed, "{name}: allowed?");
        assert_eq!(failing_key(&evaluation), *failing, "{name}: failing key");
        let document = super::evaluate_document(policy, &context(pairs), request);
        assert_eq!(document.allowed(), *allowed, "{name}: allowed? (document)");
    }
}
