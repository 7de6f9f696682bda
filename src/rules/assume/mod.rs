//! AS rules: the live `AssumeRoleWithWebIdentity`. Every answer STS gives is
//! sorted into one class ([`classify`]); [`retry`] decides whether another
//! attempt can help; the functions here turn the outcome into findings that
//! name the cause and the fix.

pub mod classify;
pub mod retry;

use jiff::Timestamp;

use crate::eval::Evaluation;
use crate::finding::Finding;
use crate::model::aws::{Assumed, StsFailure};
use crate::model::time::relative;
use crate::rules::{AS001, AS002};

use self::classify::Class;
use self::retry::Stop;

/// What the findings quote besides STS's answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct AttemptContext<'a> {
    pub iss: Option<&'a str>,
    /// The audience STS matches: `azp`, else `aud`.
    pub audience: Option<&'a str>,
    pub sub: Option<&'a str>,
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub duration: Option<i32>,
    /// The STS endpoint the requests went to.
    pub endpoint: Option<&'a str>,
}

/// The trust policy's verdict on the token, for an `AccessDenied`.
#[derive(Debug, Clone)]
pub enum PolicyVerdict {
    /// Evaluated: `source` says where the policy came from.
    Evaluated {
        source: String,
        evaluation: Box<Evaluation>,
    },
    /// Not at hand, and why.
    Unavailable(String),
    /// Evaluated, and said by another finding of the same report (EV001
    /// when it refuses, EV002 when it allows): not repeated here.
    ShownAs { source: String, code: &'static str },
}

/// How often each class failed before the last attempt, for messages.
#[derive(Debug, Clone, Default)]
pub struct FailureTally(Vec<(&'static str, &'static str, u32)>);

impl FailureTally {
    pub fn add(&mut self, class: Class) {
        match self
            .0
            .iter_mut()
            .find(|(code, _, _)| *code == class.rule.code)
        {
            Some(entry) => entry.2 += 1,
            None => self.0.push((class.rule.code, class.rule.slug, 1)),
        }
    }

    pub fn total(&self) -> u32 {
        self.0.iter().map(|(_, _, n)| n).sum()
    }

    /// `2 × AS104 verification-key-unavailable, 1 × AS109 throttled`.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(code, slug, n)| format!("{n} × {code} {slug}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// AS001, and AS002 when transient failures came first.
pub fn success(
    assumed: &Assumed,
    context: &AttemptContext<'_>,
    failures: &FailureTally,
    from_cache: bool,
    now: Timestamp,
) -> Vec<Finding> {
    let expiry = assumed.credentials.expiration;
    let echoed = |value: Option<&str>| value.unwrap_or("(not returned)").to_owned();
    let mut findings = vec![Finding::new(
        &AS001,
        format!(
            "{} {}: `sub` {}, audience {}, provider {}; the credentials (key {}) expire at {} ({}).",
            if from_cache {
                "Reused cached credentials for"
            } else {
                "Assumed"
            },
            echoed(assumed.assumed_role_arn.as_deref()),
            echoed(assumed.subject.as_deref().or(context.sub)),
            echoed(assumed.audience.as_deref().or(context.audience)),
            echoed(assumed.provider.as_deref().or(context.iss)),
            assumed.credentials.masked_key_id(),
            expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            relative(expiry.as_second(), now.as_second()),
        ),
        "The role trusts this token. `--export env|json|credential-process|github-env` hands the \
         credentials on; `--cache` lets parallel jobs share them.",
    )];
    if failures.total() > 0 {
        let iss = context.iss.unwrap_or("<iss>");
        findings.push(Finding::new(
            &AS002,
            format!(
                "Assumed only after {}: {}. The failures are real: a job that does not retry them fails.",
                crate::finding::counted(failures.total(), "failed attempt", "failed attempts"),
                failures.describe()
            ),
            format!(
                "Find the cause while it is visible: `oidc-doctor issuer {iss} --samples 10` for key \
                 retrieval errors (slow, uncacheable or rate-limited issuer); `--cache` so parallel \
                 jobs make one STS call instead of one each."
            ),
        ));
    }
    findings
}

/// The finding for the attempt that ended the loop.
pub fn failure(
    class: Class,
    failure: &StsFailure,
    context: &AttemptContext<'_>,
    attempts: u32,
    stop: &Stop,
    verdict: Option<&PolicyVerdict>,
) -> Finding {
    let answer = match failure {
        StsFailure::Service { code, message, .. } if message.is_empty() => format!("`{code}`"),
        StsFailure::Service { code, message, .. } => format!("`{code}: {message}`"),
        other => other.to_string(),
    };
    let tries = if attempts == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{attempts} attempts")
    };
    let iss = context.iss.unwrap_or("<iss>");
    let endpoint = context
        .endpoint
        .map_or_else(String::new, |e| format!(" (endpoint {e})"));
    let (what, help) = explain(class, failure, context, verdict, iss, &endpoint);
    let finding = Finding::new(
        class.rule,
        format!(
            "STS answered {answer}{endpoint} ({tries}; {}). {what}",
            stop.describe()
        ),
        help,
    );
    match class.rule.code {
        "AS102" => finding.with_suggestion(format!(
            "aws iam add-client-id-to-open-id-connect-provider \\\n  --open-id-connect-provider-arn {} \\\n  --client-id {}",
            provider_arn(context),
            crate::finding::shown(context.audience.unwrap_or("<audience>"))
        )),
        "AS103" => finding.with_suggestion(format!(
            "aws iam create-open-id-connect-provider \\\n  --url {} \\\n  --client-id-list sts.amazonaws.com",
            crate::finding::shown(iss)
        )),
        _ => finding,
    }
}

/// The cause in words, and the fix, per class.
fn explain(
    class: Class,
    failure: &StsFailure,
    context: &AttemptContext<'_>,
    verdict: Option<&PolicyVerdict>,
    iss: &str,
    endpoint: &str,
) -> (String, String) {
    let audience = context.audience.unwrap_or("(none)");
    match class.rule.code {
        "AS101" => access_denied(context, verdict),
        "AS102" => (
            format!("The token's audience `{audience}` is not a client ID of the IAM OIDC provider for {iss}."),
            "Request the token for an audience the provider lists (`sts.amazonaws.com` for the usual clients), or \
             register this one (the command below); `oidc-doctor provider` shows the client IDs (PV002). Retrying \
             cannot help."
                .to_owned(),
        ),
        "AS103" => (
            format!("The role's account has no IAM OIDC provider whose URL is exactly {iss}."),
            format!(
                "Create it with exactly the token's `iss`, in the role's account (the command below), or fix the near \
                 miss that `oidc-doctor provider` names (trailing `/`, case, path, another account, a rebuilt EKS \
                 cluster). A token from another partition needs that partition's STS{endpoint}."
            ),
        ),
        "AS104" => (
            "STS could not fetch or read the issuer's discovery document or JWKS in time (about 5 seconds).".to_owned(),
            format!(
                "Run `oidc-doctor issuer {iss}`: it walks the same chain and names a slow, unreachable, \
                 uncacheable (`no-cache`) or rate-limited issuer. Parallel jobs hitting it at once make this \
                 worse: `--cache` lets them share one call."
            ),
        ),
        "AS105" => (
            "The issuer's certificate chain is not publicly trusted, and none of the provider's thumbprints matches its top intermediate.".to_owned(),
            format!(
                "`oidc-doctor issuer {iss}` prints the thumbprint IAM computes; register it with `aws iam \
                 update-open-id-connect-provider-thumbprint`, fix the chain order, or use a public CA."
            ),
        ),
        "AS106" => (
            "The token is past its `exp` plus STS's 5-minute skew, or too old.".to_owned(),
            "Get a fresh token and read it right before the call; keep retries shorter than the token's \
             lifetime (`decode` shows it, TK005 and TK012). A token file that is not refreshed (IRSA with a \
             stopped kubelet refresh) ends here too."
                .to_owned(),
        ),
        "AS107" => (
            "What was sent is not a JWT STS can read.".to_owned(),
            "`oidc-doctor decode` on the same input says what it is instead (TK001): a file path instead of \
             its contents, an opaque access token, a wrapper that was not removed."
                .to_owned(),
        ),
        "AS108" => (
            "The token lacks a claim STS requires.".to_owned(),
            "Use a token minted with an audience and subject (for EKS, the projected IRSA token with audience \
             `sts.amazonaws.com`, not the pod's default service-account token); `decode` shows the claims (TK004)."
                .to_owned(),
        ),
        "AS109" => (
            "STS is limiting the request rate.".to_owned(),
            "Back off (the tool does) and make fewer calls: `--cache` lets parallel jobs share one set of \
             credentials instead of each calling STS."
                .to_owned(),
        ),
        "AS110" if class.retry == classify::Retry::No => (
            "The identity provider rejected the token's claim (invalid, expired or revoked).".to_owned(),
            "Get a new token from the provider and check the application it was issued for.".to_owned(),
        ),
        "AS110" => (
            "STS could not reach the identity provider.".to_owned(),
            format!("Usually transient; if it persists, check that {iss} is reachable from the internet (`oidc-doctor issuer {iss}`)."),
        ),
        "AS111" => request_invalid(failure, context),
        "AS112" => (
            format!("STS is not activated in this region for the role's account{endpoint}."),
            "Activate the region in the account's IAM settings, or call another regional endpoint (`--region`, \
             `AWS_ENDPOINT_URL_STS`)."
                .to_owned(),
        ),
        "AS113" => (
            "The session tags the token carries (`https://aws.amazon.com/tags`) are too large once packed.".to_owned(),
            "Fewer or shorter session tags in the token; `decode` lists them (TK011).".to_owned(),
        ),
        "AS114" => (
            format!("STS could not be reached, or answered with a server error{endpoint}."),
            "Usually transient. If it persists: check the network path and proxies (`HTTPS_PROXY`, `NO_PROXY`), \
             the region and `AWS_ENDPOINT_URL_STS`."
                .to_owned(),
        ),
        _ => (
            "oidc-doctor does not know this answer; it is quoted as STS sent it.".to_owned(),
            "Search for the code and message in the STS documentation; the tool did not retry it.".to_owned(),
        ),
    }
}

/// The provider STS looks for: the role's partition and account, the
/// issuer's URL without `https://`.
fn provider_arn(context: &AttemptContext<'_>) -> String {
    let iss = context.iss.unwrap_or("<iss>");
    crate::model::arn::provider_arn_for(context.role_arn, iss).unwrap_or_else(|| {
        format!(
            "arn:aws:iam::<account>:oidc-provider/{}",
            crate::model::issuers::provider_name(iss)
        )
    })
}

fn access_denied(
    context: &AttemptContext<'_>,
    verdict: Option<&PolicyVerdict>,
) -> (String, String) {
    let propagation = "Retrying cannot help, except for a few seconds after the trust policy was changed (IAM propagation).";
    match verdict {
        Some(PolicyVerdict::Evaluated { source, evaluation }) if !evaluation.allowed() => {
            let detail = first_failure_detail(evaluation);
            (
                format!(
                    "The trust policy ({source}) refuses this token{}{detail}",
                    evaluation.refusal_reason()
                ),
                format!(
                    "Make the condition match what the token really carries, or mint the token the policy expects \
                     (`lint --token` shows every condition). {propagation}"
                ),
            )
        }
        Some(PolicyVerdict::Evaluated { source, .. }) => (
            format!(
                "The trust policy ({source}) allows this token as evaluated here, so the refusal comes from elsewhere."
            ),
            format!(
                "Check that `{}` is the role whose policy was read (path and account: `oidc-doctor provider`), that \
                 no resource control policy refuses it, and whether the policy was changed moments ago. {propagation}",
                context.role_arn
            ),
        ),
        Some(PolicyVerdict::ShownAs { source, code }) => (
            format!(
                "The trust policy ({source}) was evaluated against this token: {code} says what it decided."
            ),
            format!("See {code} for the condition and the fix. {propagation}"),
        ),
        Some(PolicyVerdict::Unavailable(why)) => (
            format!("The trust policy was not available to name the refusing condition ({why})."),
            format!(
                "Give it with `--policy FILE` (`aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument`) \
                 or run with AWS credentials allowed `iam:GetRole`, and the refusing condition is named. {propagation}",
                crate::finding::shown(crate::model::arn::role_name(context.role_arn))
            ),
        ),
        None => (
            "The role's trust policy does not allow this token.".to_owned(),
            format!(
                "Give the policy with `--policy FILE` to have the refusing condition named. {propagation}"
            ),
        ),
    }
}

/// "; the token has ...", for the first failed condition.
fn first_failure_detail(evaluation: &Evaluation) -> String {
    let Some(failure) = evaluation.first_failure() else {
        return ".".to_owned();
    };
    match &failure.actual {
        Some(values) if !values.is_empty() => format!("; the token has `{}`.", values.join("`, `")),
        _ => format!("; the token has no `{}`.", failure.key.value),
    }
}

fn request_invalid(failure: &StsFailure, context: &AttemptContext<'_>) -> (String, String) {
    let message = match failure {
        StsFailure::Service { message, .. } | StsFailure::Request(message) => {
            message.to_ascii_lowercase()
        }
        _ => String::new(),
    };
    if message.contains("rolesessionname") || message.contains("role_session_name") {
        (
            format!(
                "The session name `{}` breaks STS's pattern.",
                context.session_name
            ),
            "Use 2 to 64 characters of letters, digits and `_+=,.@-` (`--session-name`)."
                .to_owned(),
        )
    } else if message.contains("durationseconds") || message.contains("duration") {
        (
            format!(
                "The requested duration{} is outside what the role allows.",
                context.duration.map_or_else(String::new, |d| format!(" ({d} s)"))
            ),
            "Ask for less (`--duration`, 900 up to the role's MaxSessionDuration), or raise the role's maximum \
             (`aws iam update-role --max-session-duration`); `oidc-doctor provider` checks it (PV007)."
                .to_owned(),
        )
    } else if message.contains("arn") {
        (
            format!("The role ARN `{}` is not valid.", context.role_arn),
            "Give the role's full ARN, `arn:<partition>:iam::<12-digit account>:role/<path><name>` (`--role-arn`).".to_owned(),
        )
    } else {
        (
            "STS rejected a parameter of the request.".to_owned(),
            "Check `--role-arn`, `--session-name` and `--duration` against the message.".to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::aws::{Credentials, Secret};

    fn assumed() -> Assumed {
        Assumed {
            assumed_role_arn: Some("arn:aws:sts::123456789012:assumed-role/deploy/ci".into()),
            subject: Some("repo:acme/app:ref:refs/heads/main".into()),
            audience: Some("sts.amazonaws.com".into()),
            provider: Some(
                "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
                    .into(),
            ),
            credentials: Credentials {
                access_key_id: Secret::new("ASIAIOSFODNN7EXAMPLE"),
                secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                session_token: Secret::new("FwoGZXIvYXdzEBYaDH"),
                expiration: Timestamp::from_second(1_800_003_600).unwrap(),
            },
        }
    }

    #[test]
    fn success_names_what_sts_echoed_and_never_a_secret() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let findings = success(
            &assumed(),
            &AttemptContext::default(),
            &FailureTally::default(),
            false,
            now,
        );
        assert_eq!(findings.len(), 1);
        let message = &findings[0].message;
        assert!(message.contains("assumed-role/deploy/ci"), "{message}");
        assert!(
            message.contains("repo:acme/app:ref:refs/heads/main"),
            "{message}"
        );
        assert!(message.contains("ASIA…MPLE"), "{message}");
        assert!(
            !message.contains("wJalr")
                && !message.contains("FwoG")
                && !message.contains("IOSFODNN")
        );
    }

    #[test]
    fn transient_failures_before_success_are_as002() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut tally = FailureTally::default();
        let key = classify::classify(&StsFailure::Service {
            code: "InvalidIdentityToken".into(),
            message: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements".into(),
            status: Some(400),
        });
        tally.add(key);
        tally.add(key);
        let context = AttemptContext {
            iss: Some("https://gitlab.com"),
            ..AttemptContext::default()
        };
        let findings = success(&assumed(), &context, &tally, false, now);
        assert_eq!(findings[1].code(), "AS002");
        assert!(
            findings[1]
                .message
                .contains("2 × AS104 verification-key-unavailable")
        );
        assert!(
            findings[1]
                .help
                .contains("oidc-doctor issuer https://gitlab.com")
        );
    }
}
