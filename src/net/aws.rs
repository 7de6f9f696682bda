//! Thin wrappers over aws-config, aws-sdk-iam and aws-sdk-sts that return
//! model values. The standard chain (environment, profiles, SSO,
//! `credential_process`, IMDS) finds credentials and region; endpoints follow
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_IAM` and `AWS_ENDPOINT_URL_STS`.
//! `AssumeRoleWithWebIdentity` is sent unsigned, with the SDK's own retries
//! off: the caller classifies each answer and decides (`rules::assume`).
//! Every client and credential provider is built from [`load`]'s
//! configuration, whose HTTP client reads no answer past the body cap
//! (`net::aws_http`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, ProvideCredentials, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};

use crate::model::aws::{Assumed, Credentials, IamRole, Secret, StsAnswer, StsFailure};
use crate::model::provider::OidcProvider;
use crate::net::aws_http;

/// IAM calls are retried by the SDK's standard mode (throttling, 5xx,
/// network errors), with backoff, up to this many attempts.
const IAM_ATTEMPTS: u32 = 5;

/// `--profile` and `--region` as given.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Per attempt of any AWS call.
    pub timeout: Duration,
}

/// Loads the shared configuration: the one place an AWS configuration is
/// made, so the capped HTTP client reaches every client built from it and
/// every credential provider the chain runs. Without `credentials`, none
/// are looked for at all (no profile credentials, no IMDS): what `assume`
/// needs.
pub async fn load(options: &AwsOptions, credentials: bool) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(options.timeout)
            .operation_attempt_timeout(options.timeout * 3)
            .build(),
    );
    if let Some(client) = aws_http::capped_client(BehaviorVersion::latest()) {
        loader = loader.http_client(client);
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if !credentials {
        loader = loader.no_credentials();
    }
    loader.load().await
}

/// Whether the chain finds credentials; `Err` says what it tried.
pub async fn check_credentials(config: &SdkConfig) -> Result<(), String> {
    let Some(provider) = config.credentials_provider() else {
        return Err("no credentials provider is configured".to_owned());
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|error| match error {
            aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(_) => {
                "no source of the chain (environment, profile files, SSO, credential_process, \
                 container or instance metadata) had any"
                    .to_owned()
            }
            other => causes(&other),
        })
}

/// Loads the AWS configuration and insists on credentials: a command that
/// reads IAM cannot run without them (exit 3).
pub async fn load_with_credentials(
    options: &AwsOptions,
    command: &str,
) -> Result<SdkConfig, crate::error::Error> {
    let config = load(options, true).await;
    check_credentials(&config)
        .await
        .map_err(|why| crate::error::Error::Environment {
            message: format!("`{command}` reads IAM and needs AWS credentials; none were found ({why})"),
            help: "set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run \
                   `aws sso login`; on EC2, ECS or EKS the instance or task role is used"
                .to_owned(),
        })?;
    Ok(config)
}

/// What every IAM read needs: the client, the caller's account and region,
/// and where the requests went.
#[derive(Debug, Clone)]
pub struct IamSession {
    pub client: aws_sdk_iam::Client,
    /// The account of the caller's credentials, when STS said.
    pub account: Option<String>,
    pub region: Option<String>,
    endpoint: EndpointRecorder,
}

impl IamSession {
    /// Loads credentials (an error without them) and asks for the account.
    pub async fn connect(
        options: &AwsOptions,
        command: &str,
    ) -> Result<IamSession, crate::error::Error> {
        let config = load_with_credentials(options, command).await?;
        let (client, endpoint) = iam(&config);
        Ok(IamSession {
            client,
            account: caller_account(&config).await.ok(),
            region: region(&config),
            endpoint,
        })
    }

    /// `scheme://host[:port]` of the last IAM request.
    pub fn endpoint(&self) -> Option<String> {
        self.endpoint.endpoint()
    }
}

/// An error and its causes, each in its own words (a sentence, never the
/// SDK's debug dump of its structures). An answer over the body cap is
/// said alone: the SDK's wrappers around it ("dispatch failure: user
/// error") would only mislead.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    if let Some(large) = aws_http::too_large(error) {
        return large.to_string();
    }
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source.filter(|_| parts.len() < 8) {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The STS endpoint the environment points the SDK at
/// (`AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`), when its host is on a
/// non-public address: an emulator, not AWS. Names are not resolved; only
/// `localhost` and IP literals count.
pub fn local_sts_endpoint() -> Option<String> {
    let endpoint = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))?;
    let url = url::Url::parse(endpoint.trim()).ok()?;
    let local = match url.host()? {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(v4) => crate::model::issuer::non_public(v4.into()).is_some(),
        url::Host::Ipv6(v6) => crate::model::issuer::non_public(v6.into()).is_some(),
    };
    local.then(|| url.origin().ascii_serialization())
}

/// The region the configuration resolved, if any.
pub fn region(config: &SdkConfig) -> Option<String> {
    config.region().map(ToString::to_string)
}

/// Remembers the URL the last request went to: the endpoint really used,
/// whichever setting chose it.
#[derive(Debug, Clone, Default)]
pub struct EndpointRecorder(Arc<Mutex<Option<String>>>);

impl EndpointRecorder {
    /// `scheme://host[:port]` of the last request.
    pub fn endpoint(&self) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Intercept for EndpointRecorder {
    fn name(&self) -> &'static str {
        "oidc-doctor endpoint recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        let endpoint = url::Url::parse(uri)
            .map_or_else(|_| uri.to_owned(), |u| u.origin().ascii_serialization());
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(endpoint);
        Ok(())
    }
}

/// An IAM client that retries throttling itself.
pub fn iam(config: &SdkConfig) -> (aws_sdk_iam::Client, EndpointRecorder) {
    let recorder = EndpointRecorder::default();
    let iam_config = aws_sdk_iam::config::Builder::from(config)
        .retry_config(RetryConfig::standard().with_max_attempts(IAM_ATTEMPTS))
        .interceptor(recorder.clone())
        .build();
    (aws_sdk_iam::Client::from_conf(iam_config), recorder)
}

/// An STS client that makes exactly one request per call.
pub fn sts(config: &SdkConfig) -> (aws_sdk_sts::Client, EndpointRecorder) {
    let recorder = EndpointRecorder::default();
    let sts_config = aws_sdk_sts::config::Builder::from(config)
        .retry_config(RetryConfig::disabled())
        .interceptor(recorder.clone())
        .build();
    (aws_sdk_sts::Client::from_conf(sts_config), recorder)
}

/// An IAM or STS call that failed, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub operation: &'static str,
    /// The service's error code, when it answered.
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed: {code}: {}", self.operation, self.message),
            None => write!(f, "{} failed: {}", self.operation, self.message),
        }
    }
}

impl AwsError {
    /// IAM refused the caller (a missing permission).
    pub fn is_access_denied(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c.starts_with("AccessDenied") || c == "UnauthorizedOperation")
    }
}

fn aws_error<E, R>(operation: &'static str, error: &SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(context) => AwsError {
            operation,
            code: context.err().code().map(excerpt),
            message: excerpt(
                &context
                    .err()
                    .message()
                    .map_or_else(|| causes(context.err()), str::to_owned),
            ),
        },
        other => AwsError {
            operation,
            code: None,
            message: excerpt(&causes(other)),
        },
    }
}

/// The most characters of an AWS error text quoted: an answer is never
/// printed whole, whatever its size.
const MAX_QUOTED: usize = 1_000;

/// `text`, or its first [`MAX_QUOTED`] characters and how long it was.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED) {
        Some((cut, _)) => format!(
            "{}… ({} characters in all)",
            &text[..cut],
            text.chars().count()
        ),
        None => text.to_owned(),
    }
}

/// The account of the caller's credentials (`sts:GetCallerIdentity`).
pub async fn caller_account(config: &SdkConfig) -> Result<String, AwsError> {
    let client = aws_sdk_sts::Client::new(config);
    let identity = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_error("sts:GetCallerIdentity", &e))?;
    identity.account().map(str::to_owned).ok_or(AwsError {
        operation: "sts:GetCallerIdentity",
        code: None,
        message: "the answer named no account".to_owned(),
    })
}

/// The ARNs of every IAM OIDC provider in the caller's account.
pub async fn list_providers(iam: &aws_sdk_iam::Client) -> Result<Vec<String>, AwsError> {
    let listed = iam
        .list_open_id_connect_providers()
        .send()
        .await
        .map_err(|e| aws_error("iam:ListOpenIDConnectProviders", &e))?;
    Ok(listed
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|entry| entry.arn().map(str::to_owned))
        .collect())
}

/// One provider's URL, client IDs and thumbprints.
pub async fn get_provider(iam: &aws_sdk_iam::Client, arn: &str) -> Result<OidcProvider, AwsError> {
    let provider = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("iam:GetOpenIDConnectProvider", &e))?;
    let url = provider.url().unwrap_or_default();
    Ok(OidcProvider {
        url: url.strip_prefix("https://").unwrap_or(url).to_owned(),
        client_ids: provider.client_id_list().to_vec(),
        thumbprints: provider.thumbprint_list().to_vec(),
    })
}

/// The role as `GetRole` and `ListRoles` both describe it. The trust policy
/// is kept as IAM sends it (URL-encoded): `PolicyDocument::from_text` reads it.
fn role(r: &aws_sdk_iam::types::Role) -> IamRole {
    IamRole {
        arn: r.arn().to_owned(),
        name: r.role_name().to_owned(),
        path: r.path().to_owned(),
        max_session_duration: r.max_session_duration(),
        trust_policy: r.assume_role_policy_document().map(str::to_owned),
    }
}

/// A role by name; `Ok(None)` when there is no such role.
pub async fn get_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<Option<IamRole>, AwsError> {
    match iam.get_role().role_name(name).send().await {
        Ok(output) => Ok(output.role().map(role)),
        Err(SdkError::ServiceError(context)) if context.err().is_no_such_entity_exception() => {
            Ok(None)
        }
        Err(error) => Err(aws_error("iam:GetRole", &error)),
    }
}

/// Roles per `ListRoles` page at first: IAM's own default.
const ROLES_PER_PAGE: i32 = 100;

/// Every role of the account (all pages).
///
/// A page of 100 roles with long trust policies (4,096 characters each,
/// URL-encoded) can pass the body cap; such a page is asked for again, from
/// the same place, with half as many roles, down to one role a page.
pub async fn list_roles(iam: &aws_sdk_iam::Client) -> Result<Vec<IamRole>, AwsError> {
    // IAM keeps at most 5,000 roles per account: an endpoint that pages on
    // past that (a new marker forever) is not IAM, and is not followed.
    const MAX_ROLES: usize = 20_000;
    let mut roles = Vec::new();
    // Where the next page starts, and how many roles it asks for.
    let mut marker: Option<String> = None;
    let mut page_size = ROLES_PER_PAGE;
    'pages: loop {
        let mut pages = iam
            .list_roles()
            .set_marker(marker.clone())
            .into_paginator()
            .page_size(page_size)
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => {
                    roles.extend(page.roles().iter().map(role));
                    marker = page.marker().map(str::to_owned);
                    if roles.len() > MAX_ROLES {
                        return Err(AwsError {
                            operation: "iam:ListRoles",
                            message: format!(
                                "the endpoint listed more than {MAX_ROLES} roles and kept paging; \
                                 IAM keeps at most 5,000 per account, so the listing was stopped"
                            ),
                            code: None,
                        });
                    }
                }
                Err(error) if page_size > 1 && aws_http::too_large(&error).is_some() => {
                    page_size /= 2;
                    continue 'pages;
                }
                Err(error) => return Err(aws_error("iam:ListRoles", &error)),
            }
        }
        return Ok(roles);
    }
}

/// What one `AssumeRoleWithWebIdentity` sends.
#[derive(Clone)]
pub struct AssumeRequest {
    pub role_arn: String,
    pub session_name: String,
    pub token: Secret,
    pub duration: Option<i32>,
}

impl std::fmt::Debug for AssumeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssumeRequest")
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("token", &"***")
            .field("duration", &self.duration)
            .finish()
    }
}

/// One unsigned `AssumeRoleWithWebIdentity`, no retry.
pub async fn assume(sts: &aws_sdk_sts::Client, request: &AssumeRequest) -> StsAnswer {
    let answer = sts
        .assume_role_with_web_identity()
        .role_arn(&request.role_arn)
        .role_session_name(&request.session_name)
        .web_identity_token(request.token.expose())
        .set_duration_seconds(request.duration)
        .send()
        .await;
    let output = answer.map_err(|error| sts_failure(&error))?;
    let credentials = output.credentials().ok_or_else(|| StsFailure::Service {
        code: "NoCredentials".to_owned(),
        message: "STS answered without credentials".to_owned(),
        status: None,
    })?;
    // Credentials go into shell lines, workflow commands and $GITHUB_ENV:
    // a value with a control character could inject into any of them.
    let values = [
        credentials.access_key_id(),
        credentials.secret_access_key(),
        credentials.session_token(),
    ];
    if !values
        .iter()
        .all(|v| crate::model::aws::usable_credential(v))
    {
        return Err(StsFailure::Service {
            code: "MalformedCredentials".to_owned(),
            message: "the answer's credentials are empty or hold control characters; refused"
                .to_owned(),
            status: None,
        });
    }
    let expiration = jiff::Timestamp::from_second(credentials.expiration().secs())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    Ok(Assumed {
        assumed_role_arn: output.assumed_role_user().map(|u| u.arn().to_owned()),
        subject: output.subject_from_web_identity_token().map(str::to_owned),
        audience: output.audience().map(str::to_owned),
        provider: output.provider().map(str::to_owned),
        credentials: Credentials {
            access_key_id: Secret::new(credentials.access_key_id()),
            secret_access_key: Secret::new(credentials.secret_access_key()),
            session_token: Secret::new(credentials.session_token()),
            expiration,
        },
    })
}

fn sts_failure(
    error: &SdkError<
        aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError,
    >,
) -> StsFailure {
    // An answer over the cap is not STS's (its answers are a few kilobytes)
    // and a retry would get the same: a server error is retried like one,
    // anything else is quoted and not retried (`rules::assume::classify`).
    if let Some(large) = aws_http::too_large(error) {
        return StsFailure::Service {
            code: format!("HTTP {}", large.status),
            message: format!(
                "an answer larger than {}, which STS never sends; the tool stops reading at that \
                 size (a proxy or another server?)",
                aws_http::cap_in_words()
            ),
            status: Some(large.status),
        };
    }
    match error {
        SdkError::ServiceError(context) => StsFailure::Service {
            code: excerpt(context.err().code().unwrap_or("Unknown")),
            message: excerpt(context.err().message().unwrap_or_default()),
            status: Some(context.raw().status().as_u16()),
        },
        SdkError::TimeoutError(_) => StsFailure::Timeout(excerpt(&causes(error))),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            StsFailure::Timeout(excerpt(&causes(error)))
        }
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            if status >= 500 {
                StsFailure::Service {
                    code: format!("HTTP {status}"),
                    message: "a server error without a readable body".to_owned(),
                    status: Some(status),
                }
            } else {
                // A proxy's 403 or 407, a captive portal: not STS, and no
                // retry makes it STS.
                StsFailure::Service {
                    code: format!("HTTP {status}"),
                    message: "an answer that is not STS's (a proxy or another server?)".to_owned(),
                    status: Some(status),
                }
            }
        }
        SdkError::ConstructionFailure(_) => StsFailure::Request(excerpt(&causes(error))),
        _ => StsFailure::Network(excerpt(&causes(error))),
    }
}
