//! What the AWS side holds and answers, as plain values: IAM roles, the
//! answer to one `AssumeRoleWithWebIdentity`, the credentials it returns
//! (secrets in newtypes that never print), and the partition of a region.
//! Filled in by `net::aws`, judged by `rules::provider` and `rules::assume`.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

/// A secret value: its `Debug` and `Display` print `***`; only
/// [`Secret::expose`] gives it out, and only the export code calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for `assume --export` and the credential cache.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Temporary credentials from STS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: Secret,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: Timestamp,
}

/// Whether a credential value may be handed on: credentials go into shell
/// lines, workflow commands and `$GITHUB_ENV`, where a control character
/// could inject. The same check for STS's answer and for a cache entry.
pub fn usable_credential(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(char::is_control)
}

impl Credentials {
    /// The access key ID as reports show it: the first four and last four
    /// characters (`ASIA…WXYZ`), enough to match it in `CloudTrail`.
    pub fn masked_key_id(&self) -> String {
        let id = self.access_key_id.expose();
        let chars: Vec<char> = id.chars().collect();
        if chars.len() <= 8 {
            return "***".to_owned();
        }
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

/// A successful `AssumeRoleWithWebIdentity`: what STS echoed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumed {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: Option<String>,
    /// `SubjectFromWebIdentityToken`: the token's `sub`.
    pub subject: Option<String>,
    pub audience: Option<String>,
    /// The issuer or provider STS matched the token with.
    pub provider: Option<String>,
    pub credentials: Credentials,
}

/// Why an STS call got no service answer, or which service error it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsFailure {
    /// An error answer: code and message as sent, with the HTTP status.
    Service {
        code: String,
        message: String,
        status: Option<u16>,
    },
    /// No answer: DNS, connect, TLS or an I/O error on the way.
    Network(String),
    /// No answer within the time allowed.
    Timeout(String),
    /// The SDK refused to send the request (a parameter it rejects itself).
    Request(String),
}

impl fmt::Display for StsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StsFailure::Service { code, message, .. } if message.is_empty() => f.write_str(code),
            StsFailure::Service { code, message, .. } => write!(f, "{code}: {message}"),
            StsFailure::Network(detail) => write!(f, "network error: {detail}"),
            StsFailure::Timeout(detail) => write!(f, "timeout: {detail}"),
            StsFailure::Request(detail) => write!(f, "request not sent: {detail}"),
        }
    }
}

/// How `assume --export` hands the credentials on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialExport {
    /// `export AWS_ACCESS_KEY_ID=...` lines for `eval`.
    Env,
    /// One JSON object.
    Json,
    /// The AWS `credential_process` format (Version 1, Expiration).
    CredentialProcess,
    /// `::add-mask::` lines on standard output, then the variables appended
    /// to `$GITHUB_ENV`.
    GithubEnv,
}

/// A parallel invocation's run that ended without credentials, as it left
/// it beside the credential cache entry they share, for the runs that
/// waited on the same entry. Nothing secret: STS's answer in short, the
/// class it was sorted into, and why that run stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFailure {
    /// How long before it was read the failure was recorded.
    pub age: Duration,
    /// The attempts that run made.
    pub attempts: u32,
    /// The AS code and slug of its last answer (`AS109`, `throttled`).
    pub code: &'static str,
    pub slug: &'static str,
    /// Its last answer, as attempts list it (`Throttling: Rate exceeded`).
    pub answer: String,
    /// Why it stopped, in words.
    pub stopped: String,
}

/// One STS answer.
pub type StsAnswer = Result<Assumed, StsFailure>;

/// An IAM role as `GetRole`/`ListRoles` describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamRole {
    pub arn: String,
    pub name: String,
    /// `/` or `/ci/`.
    pub path: String,
    /// Seconds; IAM's default is 3600.
    pub max_session_duration: Option<i32>,
    /// The trust policy as IAM sent it (URL-encoded; `PolicyDocument::from_text` decodes it).
    pub trust_policy: Option<String>,
}

/// The partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// A role session name STS accepts: 2–64 characters of `[\w+=,.@-]`.
pub fn session_name_problem(name: &str) -> Option<String> {
    let length = name.chars().count();
    if !(2..=64).contains(&length) {
        return Some(format!("it has {length} characters; STS accepts 2 to 64"));
    }
    let bad: String = name
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)))
        .collect();
    (!bad.is_empty())
        .then(|| format!("`{bad}` is not allowed; STS accepts letters, digits and `_+=,.@-`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        let credentials = Credentials {
            access_key_id: Secret::new("ASIAIOSFODNN7EXAMPLE"),
            secret_access_key: secret.clone(),
            session_token: Secret::new("FwoGZXIvYXdzE"),
            expiration: Timestamp::UNIX_EPOCH,
        };
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("wJalr") && !debug.contains("FwoG") && !debug.contains("IOSFODNN"));
        assert_eq!(credentials.masked_key_id(), "ASIA…MPLE");
    }

    #[test]
    fn regions_map_to_their_partition() {
        assert_eq!(partition_of_region("eu-west-1"), "aws");
        assert_eq!(partition_of_region("cn-north-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn session_names_follow_the_sts_pattern() {
        assert_eq!(session_name_problem("GitHubActions"), None);
        assert_eq!(session_name_problem("a.b@c=d,e+f-g_h"), None);
        assert!(session_name_problem("x").unwrap().contains("1 characters"));
        assert!(
            session_name_problem("dependabot[bot]")
                .unwrap()
                .contains("`[]`")
        );
        assert!(session_name_problem(&"a".repeat(65)).is_some());
    }
}
