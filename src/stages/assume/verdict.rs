//! The trust policy's verdict on a refused token: after an `AccessDenied`,
//! `assume` evaluates the role's trust policy (from `--policy FILE`, else
//! read with `iam:GetRole`) against the token STS refused, so the finding
//! can name the condition; EV001 says the same with the fix, EV002 when the
//! policy allows what STS refused.

use crate::model::documents::PolicyDocument;
use crate::model::token::Jwt;
use crate::net::aws::{self, AwsOptions};
use crate::rules::assume::PolicyVerdict;
use crate::rules::evaluation;
use crate::stages::Staged;
use crate::stages::policy::{self, PolicyContext};
use crate::stages::role::name_of;

/// Reads the policy, evaluates it against `sent` (the token STS refused)
/// and says what STS answered (`answer`) against it.
pub fn after_access_denied(
    policy_file: Option<(PolicyDocument, String)>,
    role_arn: &str,
    sent: Option<&Jwt>,
    aws_options: &AwsOptions,
    answer: &str,
) -> Staged<PolicyVerdict> {
    let unavailable = |why: String| Staged::of(PolicyVerdict::Unavailable(why));
    let (document, source) = match load(policy_file, role_arn, aws_options) {
        Ok(found) => found,
        Err(why) => return unavailable(why),
    };
    let Some(jwt) = sent else {
        return unavailable(
            "the token is not a JWT, so there are no claims to evaluate".to_owned(),
        );
    };
    let context = PolicyContext {
        role_arn: Some(role_arn.to_owned()),
        token: Some(jwt.clone()),
        provider: None,
        principal: None,
        token_flag: None,
    };
    let linted = policy::lint_document(&document, &context);
    let Some(evaluated) = linted.evaluation else {
        return unavailable("the token has no claims to evaluate".to_owned());
    };
    let mut staged = Staged::of(());
    staged.sources.push(policy::source_of(&document));
    staged.findings.extend(linted.refusal);
    staged.findings.extend(evaluation::disagrees(
        &evaluated, false, answer, &source, role_arn,
    ));
    staged.map(|()| PolicyVerdict::Evaluated {
        source,
        evaluation: Box::new(evaluated.evaluation),
    })
}

/// The policy from `--policy FILE` (read before STS was called), else from
/// IAM, and where it came from.
fn load(
    policy_file: Option<(PolicyDocument, String)>,
    role_arn: &str,
    aws_options: &AwsOptions,
) -> Result<(PolicyDocument, String), String> {
    if let Some(given) = policy_file {
        return Ok(given);
    }
    let runtime = crate::net::runtime().map_err(|error| error.to_string())?;
    let text = runtime.block_on(read_trust_policy(role_arn, aws_options))?;
    policy::parse_iam_policy(role_arn, text)
        .map(|document| (document, "read with iam:GetRole".to_owned()))
        .map_err(|error| format!("the trust policy is not JSON: {}", error.message))
}

/// The role's trust policy through IAM; gives up after a few seconds (the
/// credential chain may otherwise wait on an instance metadata service).
async fn read_trust_policy(role_arn: &str, options: &AwsOptions) -> Result<String, String> {
    let name = name_of(role_arn).to_owned();
    let work = async {
        let config = aws::load(options, true).await;
        aws::check_credentials(&config)
            .await
            .map_err(|why| format!("no AWS credentials to read the role with: {why}"))?;
        let (iam, _) = aws::iam(&config);
        match aws::get_role(&iam, &name).await {
            Ok(Some(role)) => role
                .trust_policy
                .ok_or_else(|| "IAM returned the role without its trust policy".to_owned()),
            Ok(None) => Err(format!(
                "the credentials' account has no role named `{name}`"
            )),
            Err(error) => Err(error.to_string()),
        }
    };
    tokio::time::timeout(options.timeout * 2, work)
        .await
        .unwrap_or_else(|_| Err("IAM did not answer in time".to_owned()))
}
