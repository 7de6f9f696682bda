//! The command line: clap derive types only. What each command does lives in
//! `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;
use crate::report::FailOn;

#[derive(Debug, Parser)]
#[command(
    name = "oidc-doctor",
    version,
    about = "Explains why AWS refuses an OIDC web-identity login, and lints trust policies before they merge",
    after_help = "Rule documentation: `oidc-doctor explain --all`, then `oidc-doctor explain CODE`."
)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find why AWS refuses (or would refuse) a web-identity login: every stage, then the root cause and its fix
    Check(CheckArgs),
    /// Decode a web identity token and judge it the way STS will (offline)
    Decode(DecodeArgs),
    /// Probe an issuer's discovery document and JWKS the way STS does
    Issuer(IssuerArgs),
    /// Lint trust policies in files and directories (offline)
    Lint(LintArgs),
    /// Compare the IAM OIDC provider and the role with the token and the issuer (needs AWS credentials)
    Provider(ProviderArgs),
    /// Call `AssumeRoleWithWebIdentity` with classified retries (needs no AWS credentials)
    Assume(AssumeArgs),
    /// Lint the trust policy of every role in the account that trusts a web identity (needs AWS credentials)
    Scan(ScanArgs),
    /// Write the least-privilege trust policy for a token or a described caller (offline)
    Policy(Box<PolicyArgs>),
    /// Print a rule's documentation, or list every rule
    Explain(ExplainArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
}

impl Command {
    /// The `--fail-on` gate of the command; `explain` and `completions`
    /// report no findings and have none.
    pub fn fail_on(&self) -> FailOn {
        let gate = match self {
            Command::Check(args) => args.gate,
            Command::Decode(args) => args.gate,
            Command::Issuer(args) => args.gate,
            Command::Lint(args) => args.gate,
            Command::Provider(args) => args.gate,
            Command::Assume(args) => args.gate,
            Command::Scan(args) => args.gate,
            Command::Policy(_) | Command::Explain(_) | Command::Completions(_) => {
                return FailOn::Never;
            }
        };
        FailOn::from(gate.fail_on)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    /// GitLab Code Quality report (`artifacts: reports: codequality:`)
    Gitlab,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> Self {
        match arg {
            FailOnArg::Critical => FailOn::AtOrAbove(Severity::Critical),
            FailOnArg::High => FailOn::AtOrAbove(Severity::High),
            FailOnArg::Medium => FailOn::AtOrAbove(Severity::Medium),
            FailOnArg::Low => FailOn::AtOrAbove(Severity::Low),
            FailOnArg::Info => FailOn::AtOrAbove(Severity::Info),
            FailOnArg::Never => FailOn::Never,
        }
    }
}

/// Options every command shares: global, so they go before or after the
/// subcommand, and listed under their own heading in every `--help`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct OutputArgs {
    /// Output format
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = Format::Human,
        env = "OIDC_DOCTOR_FORMAT"
    )]
    pub format: Format,

    /// When to use colour (also honours `NO_COLOR` and `CLICOLOR_FORCE`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The exit-status gate of the commands that report findings (not
/// `explain` or `completions`, which have none).
#[derive(Debug, Clone, Copy, Args)]
pub struct GateArgs {
    /// Exit with status 1 when a finding is at or above this severity
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOnArg::Low)]
    pub fail_on: FailOnArg,
}

/// Where the token comes from, as flags: the same names and meaning on every
/// command that takes a token (`lint` included). With none given,
/// `AWS_WEB_IDENTITY_TOKEN_FILE`. `Debug` never shows a token.
#[derive(Clone, Args)]
#[command(next_help_heading = "Token options")]
pub struct TokenFlags {
    /// The token itself, a file that holds it, or `-` to read standard input
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with_all = ["token_file", "token_env", "github_actions"]
    )]
    pub token: Option<String>,

    /// Read the token from this file
    #[arg(long, value_name = "PATH", conflicts_with_all = ["token_env", "github_actions"])]
    pub token_file: Option<PathBuf>,

    /// Read the token from this environment variable (give its name)
    #[arg(long, value_name = "VAR", conflicts_with = "github_actions")]
    pub token_env: Option<String>,

    /// Request a token from the GitHub Actions runtime (needs `permissions: id-token: write`)
    #[arg(long)]
    pub github_actions: bool,

    /// The audience to request with --github-actions
    #[arg(
        long,
        value_name = "AUD",
        default_value = DEFAULT_AUDIENCE,
        requires = "github_actions"
    )]
    pub audience: String,
}

impl std::fmt::Debug for TokenFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFlags")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("token_file", &self.token_file)
            .field("token_env", &self.token_env)
            .field("github_actions", &self.github_actions)
            .field("audience", &self.audience)
            .finish()
    }
}

/// The token flags plus the positional argument, for the commands whose
/// positional argument is the token (`lint`'s are paths: it has the flags
/// alone). `Debug` never shows a token.
#[derive(Clone, Args)]
pub struct TokenArgs {
    /// The token itself, a file that holds it, or `-` to read standard input (as --token)
    #[arg(
        value_name = "TOKEN",
        conflicts_with_all = ["token", "token_file", "token_env", "github_actions"]
    )]
    pub argument: Option<String>,

    #[command(flatten)]
    pub flags: TokenFlags,
}

impl std::fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenArgs")
            .field("argument", &self.argument.as_ref().map(|_| "***"))
            .field("flags", &self.flags)
            .finish()
    }
}

/// The audience `--github-actions` requests when none is named.
const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

#[derive(Debug, Args)]
#[command(after_help = DECODE_EXAMPLES)]
pub struct DecodeArgs {
    /// Judge time claims at this instant instead of now (RFC 3339, e.g. 2026-06-01T12:00:00Z)
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub at: Option<jiff::Timestamp>,

    /// Check the signature against this saved JWKS (the issuer's `jwks_uri` document)
    #[arg(long, value_name = "FILE", conflicts_with = "jwks_url")]
    pub jwks: Option<PathBuf>,

    /// Fetch the JWKS through discovery from the token's `iss` and check the signature
    #[arg(long)]
    pub verify: bool,

    /// Fetch the JWKS from this URL (instead of through discovery) and check the signature
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub token: TokenArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

/// `--timeout`: one meaning on every command that has it, a budget per
/// network request, never for the whole run (that is `--deadline`).
#[derive(Debug, Clone, Copy, Args)]
#[command(next_help_heading = "Network options")]
pub struct TimeoutArgs {
    /// Seconds one network request may take: an issuer request must answer within it (STS allows
    /// the issuer about 5); an AWS call must connect within it, and gets three times as long to answer.
    /// Not a bound on the whole run (that is --deadline)
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_seconds)]
    pub timeout: std::time::Duration,
}

/// How commands that fetch from issuers use the network.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Network options")]
pub struct NetArgs {
    #[command(flatten)]
    pub timeout: TimeoutArgs,

    /// Also trust the CA certificates in this PEM file (for issuers with a private CA)
    #[arg(long, value_name = "FILE", env = "SSL_CERT_FILE")]
    pub ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = ISSUER_EXAMPLES)]
pub struct IssuerArgs {
    /// The issuer URL: the token's `iss`, e.g. `https://token.actions.githubusercontent.com`
    #[arg(value_name = "URL")]
    pub url: String,

    /// How many times to walk discovery then JWKS
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub samples: u16,

    /// Seconds between the starts of samples (0: they start together)
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_interval)]
    pub interval: std::time::Duration,

    /// Also send K parallel JWKS requests at once, like K pipelines starting together (at most 50)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u16).range(1..=50))]
    pub burst: Option<u16>,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

/// Where AWS calls go: the standard chain decides the rest.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "AWS options")]
pub struct AwsArgs {
    /// Use this profile of ~/.aws/config
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,

    /// The region whose STS and IAM endpoints to call; decides the partition
    #[arg(long, value_name = "REGION", env = "AWS_REGION")]
    pub region: Option<String>,
}

/// The role to assume.
#[derive(Debug, Clone, Args)]
pub struct RoleArgs {
    /// The role's ARN
    #[arg(long, value_name = "ARN", env = "AWS_ROLE_ARN")]
    pub role_arn: Option<String>,

    /// The role session name (default `AWS_ROLE_SESSION_NAME`, else `oidc-doctor-<time>`)
    #[arg(long, value_name = "NAME", env = "AWS_ROLE_SESSION_NAME")]
    pub session_name: Option<String>,

    /// Session duration to ask for, in seconds (900 to the role's maximum; STS's default is 3600)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(1..=129_600))]
    pub duration: Option<i32>,
}

#[derive(Debug, Args)]
#[command(after_help = PROVIDER_EXAMPLES)]
pub struct ProviderArgs {
    /// The issuer to look up, when no token is given (the token's `iss` otherwise)
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,

    /// Read this provider instead of looking one up by issuer
    #[arg(long, value_name = "ARN")]
    pub provider_arn: Option<String>,

    #[command(flatten)]
    pub role: RoleArgs,

    /// Do not probe the issuer's TLS chain (the thumbprint checks are then skipped)
    #[arg(long)]
    pub no_issuer_probe: bool,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub token: TokenArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

/// How `assume --export` hands the credentials on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// `export AWS_ACCESS_KEY_ID=...` lines for `eval`
    Env,
    /// One JSON object
    Json,
    /// The AWS `credential_process` format (Version 1, Expiration)
    CredentialProcess,
    /// `::add-mask::` lines on standard output, then the variables appended to `$GITHUB_ENV`
    GithubEnv,
}

impl From<ExportFormat> for crate::model::aws::CredentialExport {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Env => Self::Env,
            ExportFormat::Json => Self::Json,
            ExportFormat::CredentialProcess => Self::CredentialProcess,
            ExportFormat::GithubEnv => Self::GithubEnv,
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = ASSUME_EXAMPLES)]
pub struct AssumeArgs {
    #[command(flatten)]
    pub role: RoleArgs,

    /// Attempts in all, the first included
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Seconds after which no new attempt starts
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub deadline: u64,

    /// Print the credentials in this form on standard output (the report then goes to standard error)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub export: Option<ExportFormat>,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// The role's trust policy, to name the refusing condition on `AccessDenied` (else read with `iam:GetRole`)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub token: TokenArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

// Each bool is one command-line switch of its own, as clap reads them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
#[command(after_help = CHECK_EXAMPLES)]
pub struct CheckArgs {
    /// The role's ARN (default: `AWS_ROLE_ARN`)
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// The role session name (default: `AWS_ROLE_SESSION_NAME`, else `oidc-doctor-<time>`)
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,

    /// Session duration to ask for, in seconds (900 to the role's maximum)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(i32).range(1..=129_600))]
    pub duration: Option<i32>,

    /// The role's trust policy, in any form `lint` reads, instead of reading it with iam:GetRole
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Saved `aws iam get-open-id-connect-provider` output, instead of reading IAM
    #[arg(long, value_name = "FILE")]
    pub provider_json: Option<PathBuf>,

    /// A saved JWKS to check the token's signature with (works offline)
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,

    /// No network at all: the stages that need it are skipped, with why
    #[arg(long)]
    pub offline: bool,

    /// Every stage but the live `AssumeRoleWithWebIdentity`
    #[arg(long)]
    pub no_assume: bool,

    /// How many times to walk the issuer's discovery then JWKS (they run together)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub samples: u16,

    /// Attempts of the live assume in all, the first included
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Seconds after which no new assume attempt starts
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub deadline: u64,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// No progress on standard error
    #[arg(short, long)]
    pub quiet: bool,

    /// Also append the Markdown runbook to the GitHub Actions job summary
    /// (`$GITHUB_STEP_SUMMARY`)
    #[arg(long)]
    pub summary: bool,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub token: TokenArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub net: NetArgs,
}

/// The credential cache parallel invocations share.
#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    /// Share credentials between invocations, in the user cache directory
    #[arg(long, help = cache_help())]
    pub cache: bool,

    /// Share credentials between invocations, in this directory (implies --cache)
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl CacheArgs {
    /// The directory to use (`""`: the user cache directory), or `None`
    /// when the cache is off.
    pub fn dir(&self) -> Option<PathBuf> {
        self.cache_dir
            .clone()
            .or_else(|| self.cache.then(PathBuf::new))
    }
}

/// The user cache directory the credentials go to, for `--help`: where
/// `CredentialCache::open` puts them when no directory is given.
fn cache_help() -> String {
    let place = dirs::cache_dir().map_or_else(
        || "none on this machine: give --cache-dir".to_owned(),
        |dir| {
            dir.join("oidc-doctor")
                .join("credentials")
                .display()
                .to_string()
        },
    );
    format!(
        "Share credentials between invocations, in the user cache directory (see --cache-dir) \
         [default directory: {place}]"
    )
}

#[derive(Debug, Args)]
#[command(after_help = SCAN_EXAMPLES)]
pub struct ScanArgs {
    /// Only roles that trust this issuer (a URL or provider name, e.g. token.actions.githubusercontent.com)
    #[arg(long, value_name = "ISSUER")]
    pub provider: Option<String>,

    /// IAM requests in flight at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: u16,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

#[derive(Debug, Args)]
#[command(after_help = LINT_EXAMPLES)]
pub struct LintArgs {
    /// Files and directories to lint (directories recursively, honouring
    /// .gitignore); the current directory when none is given
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Only lint files whose path matches this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files whose path matches this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Judge named files as a directory walk does: one that holds no trust
    /// policy and does not look like one is skipped, not a finding (for
    /// hooks that hand over every changed file)
    #[arg(long)]
    pub skip_unrecognised: bool,

    /// The role the policies belong to, for account and partition checks (never read from
    /// `AWS_ROLE_ARN`: the policies linted need not be that role's)
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// Saved `aws iam get-open-id-connect-provider` output: check audiences against it
    #[arg(long, value_name = "FILE")]
    pub provider_json: Option<PathBuf>,

    /// Judge the token's times at this instant instead of now (RFC 3339)
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub at: Option<jiff::Timestamp>,

    /// Also list files that were skipped, and why
    #[arg(short, long)]
    pub verbose: bool,

    /// Also append the Markdown report to the GitHub Actions job summary
    /// (`$GITHUB_STEP_SUMMARY`)
    #[arg(long)]
    pub summary: bool,

    #[command(flatten)]
    pub gate: GateArgs,

    /// With a token, every policy is evaluated against its claims
    #[command(flatten)]
    pub token: TokenFlags,
}

impl TokenFlags {
    /// Whether any token input was named.
    pub fn given(&self) -> bool {
        self.token.is_some()
            || self.token_file.is_some()
            || self.token_env.is_some()
            || self.github_actions
    }
}

/// What `policy --output` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyOutput {
    /// The trust policy document
    Json,
    /// A `data "aws_iam_policy_document"` block and the `aws_iam_role` using it
    Terraform,
    /// A `CloudFormation` template (YAML) with the `AWS::IAM::Role`
    Cloudformation,
}

/// GitLab's `ref_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RefTypeArg {
    Branch,
    Tag,
}

/// An HCP Terraform run phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunPhaseArg {
    Plan,
    Apply,
}

#[derive(Debug, Args)]
#[command(after_help = POLICY_EXAMPLES)]
#[command(group(
    clap::ArgGroup::new("caller")
        .required(true)
        .args(["github", "gitlab", "terraform_cloud", "buildkite", "circleci", "bitbucket", "eks", "token", "token_file", "token_env"])
))]
#[command(group(clap::ArgGroup::new("branch_caller").args(["github", "buildkite"])))]
#[command(group(
    clap::ArgGroup::new("provider")
        .required(true)
        .args(["provider_arn", "account"])
))]
pub struct PolicyArgs {
    /// GitHub Actions: the repository whose workflows assume the role
    #[arg(long, value_name = "OWNER/REPO", help_heading = "Caller")]
    pub github: Option<String>,

    /// GitHub: the owner's and the repository's numeric ids, pinned as
    /// `repository_owner_id` and `repository_id` (a re-registered name does not match)
    #[arg(
        long,
        value_name = "OWNER_ID/REPO_ID",
        requires = "github",
        help_heading = "Caller"
    )]
    pub github_ids: Option<String>,

    /// GitHub or Buildkite: runs on this branch (`release/*` asks for a pattern)
    #[arg(long, value_name = "BRANCH", requires = "branch_caller", conflicts_with_all = ["tag", "environment", "pull_request"], help_heading = "Caller")]
    pub branch: Option<String>,

    /// GitHub or Buildkite: runs on this tag
    #[arg(long, value_name = "TAG", requires = "branch_caller", conflicts_with_all = ["environment", "pull_request"], help_heading = "Caller")]
    pub tag: Option<String>,

    /// GitHub or GitLab: jobs that run in this deployment environment
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "pull_request",
        help_heading = "Caller"
    )]
    pub environment: Option<String>,

    /// GitHub: pull request runs (refused: any pull request could assume the role, TP606)
    #[arg(long, requires = "github", help_heading = "Caller")]
    pub pull_request: bool,

    /// GitLab: the project path whose pipelines assume the role
    #[arg(long, value_name = "GROUP/PROJECT", help_heading = "Caller")]
    pub gitlab: Option<String>,

    /// GitLab: pipelines for this ref (a branch or, with --ref-type tag, a tag)
    #[arg(
        long = "ref",
        value_name = "REF",
        requires = "gitlab",
        help_heading = "Caller"
    )]
    pub git_ref: Option<String>,

    /// GitLab: what --ref names
    #[arg(long, value_enum, value_name = "TYPE", default_value_t = RefTypeArg::Branch, requires = "gitlab", help_heading = "Caller")]
    pub ref_type: RefTypeArg,

    /// HCP Terraform: the workspace whose runs assume the role
    #[arg(long, value_name = "ORG/PROJECT/WORKSPACE", help_heading = "Caller")]
    pub terraform_cloud: Option<String>,

    /// HCP Terraform: only this run phase (default: plan and apply)
    #[arg(
        long,
        value_enum,
        value_name = "PHASE",
        requires = "terraform_cloud",
        help_heading = "Caller"
    )]
    pub run_phase: Option<RunPhaseArg>,

    /// Buildkite: the pipeline whose jobs assume the role (with --branch or --tag)
    #[arg(long, value_name = "ORG/PIPELINE", help_heading = "Caller")]
    pub buildkite: Option<String>,

    #[arg(
        long,
        help = "CircleCI: the organization id (its issuer is `https://oidc.circleci.com/org/<id>`)",
        value_name = "ORG_ID",
        requires = "project_id",
        help_heading = "Caller"
    )]
    pub circleci: Option<String>,

    #[arg(
        long,
        help = "CircleCI: the project id whose jobs assume the role",
        value_name = "PROJECT_ID",
        requires = "circleci",
        help_heading = "Caller"
    )]
    pub project_id: Option<String>,

    /// Bitbucket Pipelines: the workspace (its name, as in the issuer URL)
    #[arg(
        long,
        value_name = "WORKSPACE",
        requires = "repository_uuid",
        help_heading = "Caller"
    )]
    pub bitbucket: Option<String>,

    /// Bitbucket: the workspace UUID, for the audience `ari:cloud:bitbucket::workspace/<uuid>`
    #[arg(
        long,
        value_name = "UUID",
        requires = "bitbucket",
        help_heading = "Caller"
    )]
    pub workspace_uuid: Option<String>,

    /// Bitbucket: the repository UUID whose steps assume the role
    #[arg(
        long,
        value_name = "UUID",
        requires = "bitbucket",
        help_heading = "Caller"
    )]
    pub repository_uuid: Option<String>,

    /// Bitbucket: only steps deploying to this deployment environment (its UUID)
    #[arg(
        long,
        value_name = "UUID",
        requires = "bitbucket",
        help_heading = "Caller"
    )]
    pub environment_uuid: Option<String>,

    /// EKS (IRSA): the cluster's OIDC issuer URL
    #[arg(
        long,
        value_name = "ISSUER_URL",
        requires = "service_account",
        help_heading = "Caller"
    )]
    pub eks: Option<String>,

    /// EKS: the service account whose pods assume the role
    #[arg(
        long,
        value_name = "NAMESPACE/NAME",
        requires = "eks",
        help_heading = "Caller"
    )]
    pub service_account: Option<String>,

    /// The issuer of a self-managed GitLab or of Terraform Enterprise
    #[arg(long, value_name = "URL", help_heading = "Caller")]
    pub issuer: Option<String>,

    /// The audience to pin (default: the token's, else what the issuer's usual clients request)
    #[arg(long, value_name = "AUD", help_heading = "Caller")]
    pub audience: Option<String>,

    /// The token itself, or a file that holds it, or `-` to read standard input: the policy admits exactly it
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["token_file", "token_env"], help_heading = "Token options")]
    pub token: Option<String>,

    /// Read the token from this file
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "token_env",
        help_heading = "Token options"
    )]
    pub token_file: Option<PathBuf>,

    /// Read the token from this environment variable (give its name)
    #[arg(long, value_name = "VAR", help_heading = "Token options")]
    pub token_env: Option<String>,

    /// The IAM OIDC provider the role trusts
    #[arg(long, value_name = "ARN", conflicts_with = "account")]
    pub provider_arn: Option<String>,

    /// The account the provider is in (with --partition), instead of --provider-arn
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// The partition of --account
    #[arg(
        long,
        value_name = "PARTITION",
        default_value = "aws",
        requires = "account"
    )]
    pub partition: String,

    /// What to write
    #[arg(short, long, value_enum, value_name = "FORMAT", default_value_t = PolicyOutput::Json)]
    pub output: PolicyOutput,

    /// The role's name in the Terraform and `CloudFormation` output
    #[arg(long, value_name = "NAME", default_value = "web-identity")]
    pub role_name: String,
}

#[derive(Debug, Args)]
#[command(after_help = EXPLAIN_EXAMPLES)]
pub struct ExplainArgs {
    /// The rule code, e.g. TK005
    #[arg(
        value_name = "CODE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub code: Option<String>,

    /// List every rule: code, slug, severity, summary
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
#[command(after_help = COMPLETIONS_EXAMPLES)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,

    // The global --format and --color mean nothing to a completion script:
    // these hidden stand-ins take their place here (clap propagates a
    // global argument only to subcommands without one of the same id), so
    // neither is offered in `completions --help` or completed.
    #[arg(long, hide = true, value_enum, default_value_t = Format::Human)]
    format: Format,

    #[arg(long, hide = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

// Every subcommand's `--help` ends with examples. Each line that is not a
// `#` comment is a whole command line: the tests run every one through the
// parser, so an example cannot go stale when a flag changes.

const CHECK_EXAMPLES: &str = "\
Every input is optional and found where the AWS SDKs and CI systems put it: the token in
AWS_WEB_IDENTITY_TOKEN_FILE or from the GitHub Actions runtime (ACTIONS_ID_TOKEN_REQUEST_URL), the
role in AWS_ROLE_ARN, the session name in AWS_ROLE_SESSION_NAME. The report says where each came from.

Examples:
  # In a GitHub Actions job (permissions: id-token: write), or a pod with IRSA
  oidc-doctor check --role-arn arn:aws:iam::123456789012:role/deploy
  # Offline, from what was saved of a failed run
  oidc-doctor check --offline token.jwt --policy role.json --jwks jwks.json
  # Every stage but the live STS call, as JSON for a ticket
  oidc-doctor check --no-assume --token-env ID_TOKEN --format json";

const DECODE_EXAMPLES: &str = "\
Examples:
  # The token the AWS SDKs would send (AWS_WEB_IDENTITY_TOKEN_FILE)
  oidc-doctor decode
  # A token in a variable, its signature checked with the issuer's keys
  oidc-doctor decode --token-env ID_TOKEN --verify
  # A saved token and key set, judged at the time of the failure
  oidc-doctor decode token.jwt --jwks jwks.json --at 2026-06-01T12:00:00Z";

const ISSUER_EXAMPLES: &str = "\
Examples:
  oidc-doctor issuer https://token.actions.githubusercontent.com
  # A self-hosted GitLab behind a private CA, ten samples a second apart
  oidc-doctor issuer https://gitlab.example.com --ca-bundle ca.pem --samples 10
  # Twenty pipelines starting at once
  oidc-doctor issuer https://gitlab.example.com --burst 20 --interval 1";

const LINT_EXAMPLES: &str = "\
Examples:
  oidc-doctor lint infra/
  # For GitHub code scanning, failing only on high and critical findings
  oidc-doctor lint --format sarif --fail-on high .
  # Would these policies admit this token? Condition by condition
  oidc-doctor lint infra/roles/ --token \"$TOKEN\"";

const PROVIDER_EXAMPLES: &str = "\
Examples:
  oidc-doctor provider --issuer https://token.actions.githubusercontent.com
  # The provider of the token's issuer, and the role, compared with the token
  oidc-doctor provider token.jwt --role-arn arn:aws:iam::123456789012:role/ci
  oidc-doctor provider --github-actions --profile prod --region eu-west-1";

const ASSUME_EXAMPLES: &str = "\
Examples:
  # In a GitHub Actions job with AWS_ROLE_ARN set: credentials for later steps
  oidc-doctor assume --github-actions --export github-env
  # As a credential_process with IRSA, parallel jobs sharing one STS call
  oidc-doctor assume --cache --export credential-process
  # Fewer retries, a shorter deadline
  oidc-doctor assume token.jwt --max-attempts 3 --deadline 20 --timeout 2";

const SCAN_EXAMPLES: &str = "\
Examples:
  oidc-doctor scan --profile audit
  # Only the roles GitLab.com pipelines can assume, for code scanning
  oidc-doctor scan --provider gitlab.com --format sarif
  oidc-doctor scan --region us-gov-west-1 --concurrency 8 --fail-on high";

const POLICY_EXAMPLES: &str = "\
Examples:
  oidc-doctor policy --github acme/app --branch main --account 123456789012
  # A GitLab project's main branch, as Terraform
  oidc-doctor policy --gitlab acme/app --ref main --account \"$ACCT\" -o terraform
  # A Buildkite pipeline's main branch (any commit and step)
  oidc-doctor policy --buildkite acme/deploy --branch main --account \"$ACCT\"
  # Exactly the token a failing job sent, as CloudFormation
  oidc-doctor policy --token-file t.jwt --account \"$ACCT\" -o cloudformation
  # Also --circleci ORG_ID --project-id ID, --terraform-cloud, --eks,
  # --bitbucket WORKSPACE --workspace-uuid UUID --repository-uuid UUID";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  oidc-doctor explain TP601
  # By slug
  oidc-doctor explain token-expired
  oidc-doctor explain --all";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  oidc-doctor completions bash > /etc/bash_completion.d/oidc-doctor
  oidc-doctor completions zsh > \"${fpath[1]}/_oidc-doctor\"
  oidc-doctor completions fish > ~/.config/fish/completions/oidc-doctor.fish";

fn parse_seconds(value: &str) -> Result<std::time::Duration, String> {
    match value.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 300.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err("expected a number of seconds above 0 and at most 300, e.g. 5 or 0.5".to_owned()),
    }
}

fn parse_interval(value: &str) -> Result<std::time::Duration, String> {
    match value.parse::<f64>() {
        Ok(seconds) if (0.0..=60.0).contains(&seconds) => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err("expected a number of seconds from 0 to 60, e.g. 0 or 1.5".to_owned()),
    }
}

fn parse_instant(value: &str) -> Result<jiff::Timestamp, String> {
    value.parse::<jiff::Timestamp>().map_err(|error| {
        format!("{error}; expected RFC 3339 with an offset, e.g. 2026-06-01T12:00:00Z")
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
