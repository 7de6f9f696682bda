//! Policies in files and directories (`lint`): explicit files as given,
//! directories walked (honouring .gitignore, skipping hidden entries), each
//! file read once (capped), recognised by content, and every policy in it
//! linted; files in parallel on all cores.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

use crate::error::Error;
use crate::eval::PolicyEvaluation;
use crate::finding::{Finding, SourceFile};
use crate::model::documents::{self, InputKind, Recognised};
use crate::model::terraform;
use crate::net::input::{self, Input, MAX_LINT_FILE_BYTES};
use crate::rules::trust_policy::{self, source_key};
use crate::stages::token::TokenSummary;
use crate::stages::{Stage, Staged};

use super::{Linted, PolicyContext, lint_document};

/// What a directory walk considers (explicit files are always read).
const WALKED_EXTENSIONS: [&str; 6] = ["json", "yaml", "yml", "template", "tfplan", "tf"];

/// One policy that was linted.
#[derive(Debug, Clone)]
pub struct LintedPolicy {
    pub path: String,
    pub kind: InputKind,
    pub resource: Option<String>,
    /// Set when the policy is built by a `CloudFormation` intrinsic and was not checked.
    pub unresolved: Option<String>,
}

/// What `lint` found beside its findings.
#[derive(Debug, Default)]
pub struct LintData {
    pub files: usize,
    pub policies: Vec<LintedPolicy>,
    /// The token the policies were evaluated against (`--token`).
    pub token: Option<TokenSummary>,
    pub evaluations: Vec<PolicyEvaluation>,
    /// Files read but not linted, with the reason.
    pub skipped: Vec<(String, String)>,
    /// What the policies that trust the given provider pin `aud` to
    /// (with `--provider-json`), for PV002's advice.
    pub pinned_audiences: Vec<String>,
    /// IAM OIDC providers declared in the Terraform source read (for the
    /// provider checks, as `--provider-json` gives one).
    pub providers: Vec<crate::model::provider::OidcProvider>,
    pub verbose: bool,
}

/// Which files to lint.
#[derive(Debug, Clone, Default)]
pub struct FileSelection {
    pub paths: Vec<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Files named on the command line are judged as a walk judges them:
    /// one that holds no trust policy and does not look like one is
    /// skipped, not a finding (for hooks that hand over every changed file).
    pub skip_unrecognised: bool,
}

/// Everything one file produced.
#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    evaluations: Vec<PolicyEvaluation>,
    /// EV001 per refused policy, with whether the policy trusts the
    /// token's issuer at all.
    refusals: Vec<(bool, Finding)>,
    sources: Vec<SourceFile>,
    policies: Vec<LintedPolicy>,
    skipped: Option<String>,
    pinned_audiences: Vec<String>,
    providers: Vec<crate::model::provider::OidcProvider>,
}

/// The Terraform modules (directories) read so far: each is read and
/// resolved once, the first time one of its `.tf` files is linted; each
/// file then takes its own result.
type ModuleCache = Mutex<HashMap<PathBuf, Arc<OnceLock<TerraformModule>>>>;

/// One directory's `.tf` files, resolved together as Terraform does, by
/// file name.
struct TerraformModule {
    files: HashMap<std::ffi::OsString, Mutex<Option<terraform::TerraformSource>>>,
    /// TP001 for variable files beside it that do not parse: reported once,
    /// with whichever of its files is linted first.
    tfvars_errors: Mutex<Vec<Finding>>,
}

/// `.tf` files one module read looks at, at most, for declarations.
const MAX_MODULE_FILES: usize = 2_000;

/// Lints every policy in the selected files.
pub fn lint_files(
    selection: &FileSelection,
    context: &PolicyContext,
) -> Result<Staged<LintData>, Error> {
    let started = Instant::now();
    let (files, not_walked) = collect_files(selection)?;
    let explicit: std::collections::HashSet<&PathBuf> = selection.paths.iter().collect();
    let results = lint_parallel(&files, &explicit, selection.skip_unrecognised, context)?;
    let mut data = LintData {
        files: files.len(),
        ..LintData::default()
    };
    let mut staged = Staged::of(());
    let mut refusals = Vec::new();
    for (path, result) in files.iter().zip(results) {
        staged.findings.extend(result.findings);
        data.evaluations.extend(result.evaluations);
        refusals.extend(result.refusals);
        staged.sources.extend(result.sources);
        data.policies.extend(result.policies);
        for provider in result.providers {
            if !data.providers.contains(&provider) {
                data.providers.push(provider);
            }
        }
        for audience in result.pinned_audiences {
            if !data.pinned_audiences.contains(&audience) {
                data.pinned_audiences.push(audience);
            }
        }
        if let Some(reason) = result.skipped {
            data.skipped.push((display(path), reason));
        }
    }
    // What the walk left out, after what was read and not linted.
    data.skipped.extend(
        not_walked
            .into_iter()
            .map(|(path, why)| (display(&path), why)),
    );
    // With one policy, its refusal is the answer; with many, a policy for
    // another issuer refuses the token by design and is no finding.
    let single = data.evaluations.len() == 1;
    staged.findings.extend(
        refusals
            .into_iter()
            .filter(|(trusts, _)| single || *trusts)
            .map(|(_, finding)| finding),
    );
    staged.stages.push(Stage::ran(
        "trust-policy",
        &staged.findings,
        started.elapsed(),
        {
            let unchecked = data
                .policies
                .iter()
                .filter(|p| p.unresolved.is_some())
                .count();
            format!(
                "{} in {}{}",
                crate::finding::counted(data.policies.len() - unchecked, "policy", "policies"),
                crate::finding::counted(data.files, "file", "files"),
                if unchecked == 0 {
                    String::new()
                } else {
                    format!("; {unchecked} more not checked")
                }
            )
        },
    ));
    Ok(staged.map(|()| data))
}

fn display(path: &Path) -> String {
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

/// Entries the second walk of a directory looks at, at most: it only
/// names what the first one left out.
const MAX_SHADOW_ENTRIES: usize = 200_000;

/// Why the walk left a file out, said in the report.
const NOT_WALKED: &str = "hidden, or ignored by a .gitignore or .ignore file: name it to lint it";

/// Explicit files as given; directories walked, honouring .gitignore and
/// skipping hidden entries; `--include`/`--exclude` applied to both. Also
/// returns what the walk left out and why: files of a linted kind that are
/// hidden or ignored, and entries it could not read.
#[allow(clippy::type_complexity)]
fn collect_files(args: &FileSelection) -> Result<(Vec<PathBuf>, Vec<(PathBuf, String)>), Error> {
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
    let mut not_walked = Vec::new();
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
        let first = files.len();
        for entry in walker {
            match entry {
                Ok(entry) if walked_kind(&entry) => files.push(entry.into_path()),
                Ok(_) => {}
                Err(error) => not_walked.push((path.clone(), format!("not walked: {error}"))),
            }
        }
        // The same walk without the hidden and ignore filters names what
        // the first one left out (never inside `.git`).
        let found: std::collections::HashSet<&PathBuf> = files[first..].iter().collect();
        let shadow = WalkBuilder::new(path)
            .standard_filters(false)
            .overrides(overrides.clone())
            .filter_entry(|entry| entry.file_name() != ".git")
            .sort_by_file_name(std::cmp::Ord::cmp)
            .build();
        let mut left_out = Vec::new();
        for entry in shadow.take(MAX_SHADOW_ENTRIES).flatten() {
            if walked_kind(&entry) && !found.contains(&entry.path().to_path_buf()) {
                left_out.push((entry.into_path(), NOT_WALKED.to_owned()));
            }
        }
        not_walked.extend(left_out);
    }
    // A file named twice, or named and also found in a walked directory,
    // is linted once. One walk (which follows no links) names each file once.
    if args.paths.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        files.retain(|path| {
            seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()))
        });
    }
    Ok((files, not_walked))
}

/// A file with an extension `lint` reads.
fn walked_kind(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|t| t.is_file())
        && entry
            .path()
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| WALKED_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
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
    skip_unrecognised: bool,
    context: &PolicyContext,
) -> Result<Vec<FileResult>, Error> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let modules_read = ModuleCache::default();
    let slots: Vec<Mutex<Option<Result<FileResult, Error>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    // The Terraform modules first, one directory a worker: the files of a
    // module come one after another, and would otherwise wait in turn for
    // the one worker reading it.
    let mut modules: Vec<PathBuf> = files
        .iter()
        .filter(|p| is_terraform_source(p))
        .map(|p| module_dir(p))
        .collect();
    modules.dedup();
    let next_module = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(dir) = modules.get(next_module.fetch_add(1, Ordering::Relaxed)) {
                    if let Some(cell) = module_of(&modules_read, dir) {
                        cell.get_or_init(|| read_module(dir));
                    }
                }
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    // A named file that cannot be read stops the run (exit 2); one
                    // found by the walk that vanished or is unreadable is skipped.
                    let named = explicit.contains(path) && !skip_unrecognised;
                    let result = match lint_file(path, named, context, &modules_read) {
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

/// Lints one file. A file `named` on the command line that yields no
/// trust policy is a finding (TP001 when it cannot be read as JSON or
/// YAML, TP002 when it can but holds none); a walked one is skipped, and
/// the reason said, unless it looks like a policy.
fn lint_file(
    path: &Path,
    named: bool,
    context: &PolicyContext,
    modules: &ModuleCache,
) -> Result<FileResult, Error> {
    let mut result = FileResult::default();
    let name = display(path);
    let is_json_file = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    // Why the file yields nothing: a finding when it was named (or is a
    // `.json` file, which must be JSON), else a skip with the reason.
    let unreadable = |result: &mut FileResult, why: String| {
        if named || is_json_file {
            result
                .findings
                .push(trust_policy::unreadable_file(&name, &why));
        } else {
            result.skipped = Some(why);
        }
    };
    let bytes = match input::read_file(path, &LINT_FILE) {
        Err(Error::TooLarge { .. }) => {
            let why = format!(
                "it is larger than the {} MiB lint reads",
                MAX_LINT_FILE_BYTES / 1024 / 1024
            );
            unreadable(&mut result, why);
            return Ok(result);
        }
        other => other?,
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            unreadable(&mut result, format!("it is not UTF-8 text (byte {at})"));
            return Ok(result);
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    if text.trim().is_empty() {
        unreadable(&mut result, "it is empty".to_owned());
        return Ok(result);
    }
    if is_terraform_source(path) {
        lint_terraform(&mut result, path, &name, &text, context, modules);
        if result.skipped.is_some() && named {
            result.skipped = None;
            result.findings.push(trust_policy::no_trust_policy(
                &name,
                "it is Terraform source with no `aws_iam_role` that sets `assume_role_policy` \
                 and no call of a role module this tool reads",
            ));
        }
        return Ok(result);
    }
    let looks_json = text.trim_start().starts_with(['{', '[']);
    let json = looks_json || is_json_file;
    let web_identity = documents::names_web_identity(&text);
    let recognised = if json {
        documents::recognise_json(&name, text)
    } else {
        match documents::recognise_yaml(&name, text) {
            // Only a YAML file that looks like a template (or was named)
            // is worth a TP001.
            Recognised::Unparseable(_) if !is_template_name(path) && !named && !web_identity => {
                result.skipped = Some("neither JSON nor YAML".to_owned());
                return Ok(result);
            }
            other => other,
        }
    };
    add_recognised(&mut result, &name, json, recognised, context);
    if result.skipped.is_some() && (named || web_identity) {
        result.skipped = None;
        let what = if web_identity {
            "it names web-identity federation and holds none of: a trust policy, \
             `aws iam get-role` output, a CloudFormation template, a Terraform plan"
        } else if json {
            "it is JSON that is none of: a trust policy, `aws iam get-role` output, \
             a CloudFormation template, a Terraform plan"
        } else {
            "it is YAML that is neither a CloudFormation template nor a policy"
        };
        result
            .findings
            .push(trust_policy::no_trust_policy(&name, what));
    }
    Ok(result)
}

/// Lints a `.tf` file: its roles' trust policies, with the OIDC providers
/// it declares as the provider when none was given.
fn lint_terraform(
    result: &mut FileResult,
    path: &Path,
    name: &str,
    text: &str,
    context: &PolicyContext,
    modules: &ModuleCache,
) {
    let dir = module_dir(path);
    let taken = module_of(modules, &dir).and_then(|cell| {
        let module = cell.get_or_init(|| read_module(&dir));
        if let Ok(mut errors) = module.tfvars_errors.lock() {
            result.findings.append(&mut errors);
        }
        module
            .files
            .get(path.file_name()?)
            .and_then(|slot| slot.lock().ok()?.take())
    });
    // A file the module read did not see (or saw in another state) is
    // read on its own, with the variables set beside it.
    let source =
        taken.unwrap_or_else(|| terraform::recognise_terraform(name, text, &read_tfvars(&dir).0));
    if let Recognised::Unparseable(error) = &source.recognised {
        result.findings.push(trust_policy::unparseable(
            name,
            None,
            "Terraform file",
            error,
        ));
        return;
    }
    result.providers.clone_from(&source.providers);
    if matches!(source.recognised, Recognised::NotAPolicyFile) {
        // Its locals, documents and providers were read with the module.
        result.skipped = Some(
            "no role in this Terraform file (what it declares was read with the module)".to_owned(),
        );
        return;
    }
    if context.provider.is_some() || source.module_providers.is_empty() {
        add_recognised(result, name, false, source.recognised, context);
        return;
    }
    let Recognised::Policies(docs) = source.recognised else {
        add_recognised(result, name, false, source.recognised, context);
        return;
    };
    // Each policy checked against the provider it trusts, when the module
    // declares that provider.
    let mut with_provider = context.clone();
    for doc in docs {
        let text = doc.value().to_string();
        // The provider named in full (`.../acme` is not its parent's).
        with_provider.provider = source
            .module_providers
            .iter()
            .find(|p| text.contains(&format!("oidc-provider/{}\"", p.url)))
            .cloned();
        add_recognised(
            result,
            name,
            false,
            Recognised::Policies(vec![doc]),
            &with_provider,
        );
    }
}

/// The module (directory) a `.tf` file belongs to.
fn module_dir(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// The cache cell of the module in `dir`, read or not yet.
fn module_of(cache: &ModuleCache, dir: &Path) -> Option<Arc<OnceLock<TerraformModule>>> {
    cache
        .lock()
        .map(|mut cache| Arc::clone(cache.entry(dir.to_path_buf()).or_default()))
        .ok()
}

/// A `.tf` file, or one in Terraform's JSON syntax (`.tf.json`).
fn is_terraform_source(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tf"))
        || path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(terraform::is_json_syntax)
}

/// Reads and resolves the `.tf` and `.tf.json` files of the module in `dir`.
fn read_module(dir: &Path) -> TerraformModule {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_terraform_source(p) && p.is_file())
        .take(MAX_MODULE_FILES)
        .collect();
    paths.sort();
    let read: Vec<(std::ffi::OsString, String, String)> = paths
        .into_iter()
        .filter_map(|p| {
            let text = input::read_text(&p, &LINT_FILE).ok()?;
            let text = text
                .strip_prefix('\u{feff}')
                .map(str::to_owned)
                .unwrap_or(text);
            Some((p.file_name()?.to_owned(), display(&p), text))
        })
        .collect();
    let files: Vec<terraform::ModuleFile<'_>> = read
        .iter()
        .map(|(_, name, text)| terraform::ModuleFile { name, text })
        .collect();
    let (tfvars, tfvars_errors) = read_tfvars(dir);
    let sources = terraform::recognise_module(&files, &tfvars);
    TerraformModule {
        files: read
            .into_iter()
            .zip(sources)
            .map(|((file, _, _), source)| (file, Mutex::new(Some(source))))
            .collect(),
        tfvars_errors: Mutex::new(tfvars_errors),
    }
}

/// `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars` and
/// `*.auto.tfvars.json` in `dir`, in the order Terraform reads them (later
/// files win); and TP001 for each that does not parse.
fn read_tfvars(dir: &Path) -> (HashMap<String, serde_json::Value>, Vec<Finding>) {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                matches!(n, "terraform.tfvars" | "terraform.tfvars.json")
                    || n.ends_with(".auto.tfvars")
                    || n.ends_with(".auto.tfvars.json")
            })
        })
        .collect();
    names.sort_by_key(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        (
            match name {
                "terraform.tfvars" => 0,
                "terraform.tfvars.json" => 1,
                _ => 2,
            },
            p.clone(),
        )
    });
    let mut values = HashMap::new();
    let mut errors = Vec::new();
    for file in names {
        let Ok(text) = input::read_text(&file, &LINT_FILE) else {
            continue;
        };
        let json = file.extension().is_some_and(|e| e == "json");
        match terraform::tfvars_values(&text, json) {
            Ok(read) => values.extend(read),
            Err(error) => errors.push(trust_policy::unparseable_variables(&display(&file), &error)),
        }
    }
    (values, errors)
}

/// Lints what a file turned out to hold into `result`.
fn add_recognised(
    result: &mut FileResult,
    name: &str,
    json: bool,
    recognised: Recognised,
    context: &PolicyContext,
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
                if let (Some(why), None) = (&doc.unresolved, &doc.broken) {
                    result.findings.push(trust_policy::unresolved(
                        name,
                        doc.resource.as_deref(),
                        &unresolved_reason(why),
                        doc.outer.or_else(|| {
                            doc.span("")
                                .map(|(offset, _)| doc.source.line_column(offset))
                        }),
                    ));
                }
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
                    if let Some(provider) = &context.provider {
                        result
                            .pinned_audiences
                            .extend(trust_policy::pinned_audiences(
                                &crate::model::policy::Policy::from_value(doc.value()),
                                &provider.url,
                            ));
                    }
                    let Linted {
                        findings,
                        evaluation,
                        refusal,
                    } = lint_document(&doc, context);
                    result.findings.extend(findings);
                    if let Some(evaluation) = evaluation {
                        if let Some(refusal) = refusal {
                            result.refusals.push((evaluation.trusts_issuer, refusal));
                        }
                        result.evaluations.push(evaluation);
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

/// What TP009 says a policy is, from why it was not checked.
fn unresolved_reason(why: &str) -> String {
    if why == "known after apply" {
        "known only after `terraform apply`".to_owned()
    } else if why.contains(' ') {
        // Terraform source says why in words.
        why.to_owned()
    } else {
        format!("built at deploy time by the CloudFormation intrinsic `{why}`")
    }
}

fn is_template_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["yaml", "yml", "template"].contains(&e.to_ascii_lowercase().as_str()))
}

const LINT_FILE: Input = Input {
    what: "file",
    limit: MAX_LINT_FILE_BYTES,
    help: "check that the file exists and can be read",
    too_large: "templates and plans are never this large",
};
