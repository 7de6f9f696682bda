//! `lint`: find trust policies in files and directories and run the TP rules
//! on each. Files are read once each, in parallel.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

use serde_json::{Map, Value};

use crate::cli::LintArgs;
use crate::commands::token_input;
use crate::error::Error;
use crate::eval::{self, Evaluation, Request, RequestContext};
use crate::model::documents::{self, InputKind, PolicyDocument, Recognised};
use crate::model::issuers;
use crate::model::policy::Policy;
use crate::model::provider::OidcProvider;
use crate::model::token::{self, Jwt};
use crate::report::{CommandData, Finding, Report, SourceFile, Stage};
use crate::rules;
use crate::rules::trust_policy::{self, LintOptions, source_key};

/// Larger files are not policies, templates or plans anyone lints.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// What a directory walk considers (explicit files are always read).
const WALKED_EXTENSIONS: [&str; 5] = ["json", "yaml", "yml", "template", "tfplan"];

/// One policy that was linted.
#[derive(Debug, Clone)]
pub struct LintedPolicy {
    pub path: String,
    pub kind: InputKind,
    pub resource: Option<String>,
    /// Set when the policy is built by a `CloudFormation` intrinsic and was not checked.
    pub unresolved: Option<String>,
}

/// A policy evaluated against the token (`--token`).
#[derive(Debug, Clone)]
pub struct PolicyEvaluation {
    pub path: String,
    pub resource: Option<String>,
    /// The federated principal the token's issuer presents.
    pub principal: String,
    pub evaluation: Evaluation,
}

/// The token `--token` named, as the evaluation saw it.
#[derive(Debug, Clone)]
pub struct LintToken {
    pub source: String,
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Option<String>,
}

/// What `lint` shows beside its findings.
#[derive(Debug, Default)]
pub struct LintData {
    pub files: usize,
    pub policies: Vec<LintedPolicy>,
    pub token: Option<LintToken>,
    pub evaluations: Vec<PolicyEvaluation>,
    /// Files read but not linted, with the reason.
    pub skipped: Vec<(String, String)>,
    pub verbose: bool,
}

/// Everything one file produced.
#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    evaluations: Vec<PolicyEvaluation>,
    sources: Vec<SourceFile>,
    policies: Vec<LintedPolicy>,
    skipped: Option<String>,
}

pub fn run(args: &LintArgs) -> Result<Report, Error> {
    let started = Instant::now();
    let files = collect_files(args)?;
    let token = match args.token_args() {
        Some(token_args) => Some(read_token(
            &token_args,
            args.at.unwrap_or_else(jiff::Timestamp::now),
        )?),
        None => None,
    };
    let provider = match &args.provider_json {
        Some(path) => Some(read_provider(path)?),
        None => None,
    };
    let options = LintOptions {
        role_arn: args.role_arn.clone(),
        token_claims: token
            .as_ref()
            .and_then(|t| t.jwt.as_ref())
            .map(|jwt| jwt.claims.clone()),
        provider: provider.clone(),
    };
    let explicit: std::collections::HashSet<&PathBuf> = args.paths.iter().collect();
    let results = lint_parallel(&files, &explicit, &options)?;

    let mut data = LintData {
        files: files.len(),
        verbose: args.verbose,
        ..LintData::default()
    };
    let mut report = Report::new("lint", CommandData::None);
    if let Some(token) = token {
        report.stages.push(Stage {
            name: "token",
            status: Stage::judge(&token.findings),
            duration: std::time::Duration::ZERO,
            detail: token.summary.source.clone(),
        });
        report.findings.extend(token.findings);
        if let (Some(provider), Some(jwt)) = (&provider, &token.jwt) {
            report
                .findings
                .extend(rules::provider::token_audience(provider, jwt));
        }
        data.token = Some(token.summary);
    }
    for (path, result) in files.iter().zip(results) {
        report.findings.extend(result.findings);
        data.evaluations.extend(result.evaluations);
        report.sources.extend(result.sources);
        data.policies.extend(result.policies);
        if let Some(reason) = result.skipped {
            data.skipped.push((display(path), reason));
        }
    }
    report.stages.push(Stage {
        name: "trust-policy",
        status: Stage::judge(&report.findings),
        duration: started.elapsed(),
        detail: format!("{} policies in {} files", data.policies.len(), data.files),
    });
    report.data = CommandData::Lint(Box::new(data));
    report.sort_findings();
    Ok(report)
}

fn display(path: &Path) -> String {
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

/// Explicit files as given; directories walked, honouring .gitignore and
/// skipping hidden entries; `--include`/`--exclude` applied to both.
fn collect_files(args: &LintArgs) -> Result<Vec<PathBuf>, Error> {
    let mut overrides = OverrideBuilder::new(".");
    for glob in &args.include {
        overrides.add(glob).map_err(|e| bad_glob(glob, &e))?;
    }
    for glob in &args.exclude {
        overrides
            .add(&format!("!{glob}"))
            .map_err(|e| bad_glob(glob, &e))?;
    }
    let overrides = overrides
        .build()
        .map_err(|e| bad_glob("--include/--exclude", &e))?;
    let mut files = Vec::new();
    for path in &args.paths {
        let metadata = std::fs::metadata(path).map_err(|source| Error::Unreadable {
            what: "path",
            path: path.clone(),
            help: "check the path".to_owned(),
            source,
        })?;
        if metadata.is_file() {
            if !overrides.matched(path, false).is_ignore() {
                files.push(path.clone());
            }
            continue;
        }
        let walker = WalkBuilder::new(path)
            .overrides(overrides.clone())
            .sort_by_file_name(std::cmp::Ord::cmp)
            .build();
        for entry in walker.flatten() {
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            let wanted = entry
                .path()
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| WALKED_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if is_file && wanted {
                files.push(entry.into_path());
            }
        }
    }
    Ok(files)
}

fn bad_glob(glob: &str, error: &ignore::Error) -> Error {
    Error::Usage {
        message: format!("invalid glob `{glob}`: {error}"),
        help: "globs follow .gitignore syntax, e.g. `infra/**/*.json`".to_owned(),
    }
}

/// Lints every file on all cores; the results keep the files' order.
fn lint_parallel(
    files: &[PathBuf],
    explicit: &std::collections::HashSet<&PathBuf>,
    options: &LintOptions,
) -> Result<Vec<FileResult>, Error> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<FileResult, Error>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    // A named file that cannot be read stops the run (exit 2); one
                    // found by the walk that vanished or is unreadable is skipped.
                    let result = match lint_file(path, options) {
                        Err(error) if !explicit.contains(path) => Ok(FileResult {
                            skipped: Some(format!("unreadable: {error}")),
                            ..FileResult::default()
                        }),
                        other => other,
                    };
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Ok(FileResult::default()))
        })
        .collect()
}

fn lint_file(path: &Path, options: &LintOptions) -> Result<FileResult, Error> {
    let unreadable = |source| Error::Unreadable {
        what: "file",
        path: path.to_owned(),
        help: "check that the file exists and can be read".to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    let mut result = FileResult::default();
    if size > MAX_FILE_BYTES {
        result.skipped = Some(format!("larger than {} MiB", MAX_FILE_BYTES / 1024 / 1024));
        return Ok(result);
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let name = display(path);
    let Ok(text) = String::from_utf8(bytes) else {
        result.skipped = Some("not UTF-8 text".to_owned());
        return Ok(result);
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    let looks_json = text.trim_start().starts_with(['{', '[']);
    let is_json_file = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let json = looks_json || is_json_file;
    let recognised = if json {
        documents::recognise_json(&name, text)
    } else {
        match documents::recognise_yaml(&name, text) {
            // Only a YAML file that looks like a template is worth a TP001.
            Recognised::Unparseable(_) if !is_template_name(path) => {
                result.skipped = Some("neither JSON nor YAML".to_owned());
                return Ok(result);
            }
            other => other,
        }
    };
    add_recognised(&mut result, &name, json, recognised, options);
    Ok(result)
}

/// Lints what a file turned out to hold into `result`.
fn add_recognised(
    result: &mut FileResult,
    name: &str,
    json: bool,
    recognised: Recognised,
    options: &LintOptions,
) {
    match recognised {
        Recognised::Policies(docs) => {
            let mut keys = std::collections::HashSet::new();
            for doc in docs {
                if keys.insert(source_key(&doc)) {
                    result.sources.push(SourceFile {
                        key: source_key(&doc),
                        text: doc.source.text.as_str().into(),
                    });
                }
                result.policies.push(LintedPolicy {
                    path: name.to_owned(),
                    kind: doc.kind,
                    resource: doc.resource.clone(),
                    unresolved: doc
                        .unresolved
                        .clone()
                        .or_else(|| doc.broken.as_ref().map(|_| "not valid JSON".to_owned())),
                });
                if let Some(error) = &doc.broken {
                    let mut finding = trust_policy::unparseable(
                        name,
                        doc.resource.as_deref(),
                        &format!("trust policy in this {}", doc.kind.describe()),
                        error,
                    );
                    if let Some(location) = finding.location.as_mut() {
                        location.in_file = doc.outer;
                    }
                    result.findings.push(finding);
                } else if doc.unresolved.is_none() {
                    result.findings.extend(trust_policy::check(&doc, options));
                    if let Some(claims) = &options.token_claims {
                        result.evaluations.push(evaluate(&doc, claims, options));
                    }
                }
            }
        }
        Recognised::NotAPolicyFile => {
            result.skipped =
                Some("not a trust policy, get-role output, template or plan".to_owned());
        }
        Recognised::Unparseable(error) => {
            result.findings.push(trust_policy::unparseable(
                name,
                None,
                if json { "JSON file" } else { "YAML file" },
                &error,
            ));
        }
        Recognised::EmbeddedUnparseable {
            kind,
            resource,
            error,
        } => {
            result.findings.push(trust_policy::unparseable(
                name,
                resource.as_deref(),
                &format!("trust policy in this {}", kind.describe()),
                &error,
            ));
        }
    }
}

fn is_template_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "template"].contains(&e.to_ascii_lowercase().as_str()))
}

/// The token of `--token`, decoded and judged by the TK rules.
struct TokenRead {
    summary: LintToken,
    jwt: Option<Jwt>,
    findings: Vec<Finding>,
}

fn read_token(args: &crate::cli::TokenArgs, now: jiff::Timestamp) -> Result<TokenRead, Error> {
    let input = token_input::read(args)?;
    let parsed = token::parse(&input.bytes);
    let findings = rules::token::check(&parsed, now);
    let jwt = parsed.jwt().cloned();
    let claim = |name: &str| {
        jwt.as_ref()
            .and_then(|j| j.claim_str(name))
            .map(str::to_owned)
    };
    Ok(TokenRead {
        summary: LintToken {
            source: input.source,
            iss: claim("iss"),
            sub: claim("sub"),
            aud: jwt
                .as_ref()
                .and_then(|j| j.effective_audience())
                .map(str::to_owned),
        },
        jwt,
        findings,
    })
}

/// Evaluates one policy against the token's claims, as the principal of the
/// token's issuer (the policy's own ARN for it when the policy names one).
pub fn evaluate(
    doc: &PolicyDocument,
    claims: &Map<String, Value>,
    options: &LintOptions,
) -> PolicyEvaluation {
    let policy = Policy::from_value(doc.value());
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = issuers::provider_name(iss);
    let trusted = policy
        .statements
        .iter()
        .flat_map(|s| &s.principal.federated)
        .map(|f| f.value.as_str())
        .find(|f| *f == name || f.ends_with(&format!(":oidc-provider/{name}")));
    let principal = trusted.map_or_else(
        || {
            let role = options
                .role_arn
                .as_deref()
                .or(doc.role_arn.as_deref())
                .and_then(trust_policy::Arn::parse);
            let (partition, account) =
                role.map_or(("aws", "000000000000"), |a| (a.partition, a.account));
            format!("arn:{partition}:iam::{account}:oidc-provider/{name}")
        },
        str::to_owned,
    );
    let family = issuers::detect(iss, claims.get("sub").and_then(Value::as_str));
    let context = RequestContext::from_claims(claims, family).with_federated_provider(&principal);
    let request = Request::for_claims(&principal, claims);
    PolicyEvaluation {
        path: doc.path.clone(),
        resource: doc.resource.clone(),
        // From the document, so that NotPrincipal/NotAction names are seen too.
        evaluation: eval::evaluate_document(doc.value(), &context, &request),
        principal,
    }
}

fn read_provider(path: &Path) -> Result<OidcProvider, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Unreadable {
        what: "provider file",
        path: path.to_owned(),
        help: "save it with `aws iam get-open-id-connect-provider --open-id-connect-provider-arn <arn> > provider.json`".to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| Error::Usage {
        message: format!("{} is not JSON: {e}", path.display()),
        help: "pass the saved output of `aws iam get-open-id-connect-provider`".to_owned(),
    })?;
    OidcProvider::from_value(&value).map_err(|problem| Error::Usage {
        message: format!("{}: {problem}", path.display()),
        help: "pass the saved output of `aws iam get-open-id-connect-provider`".to_owned(),
    })
}
