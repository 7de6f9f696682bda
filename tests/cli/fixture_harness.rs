//! The fixture harness: every rule of `explain --all --format json` has a
//! directory `fixtures/<family>/<CODE>-<slug>/` (or an entry, with its
//! reason, in [`EXEMPT`]); every case in it is run through the real binary
//! the way its family needs, must (`bad-*` and the rest) or must not (`ok-*`)
//! produce the directory's code, must match the directory's `expected.json`
//! when there is one, and its findings (code, severity, message, location)
//! are snapshotted, one snapshot per directory, in `snapshots/fixtures/`.
//! How each family is run, and the files a directory may hold, are in
//! `fixtures/README.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::issuer_cli::hex_sha1;
use crate::sts_standin::{Answer, StsStandin};
use crate::support::{FIXTURE_NOW, fixture, no_aws_setup, oidc_doctor, signed_token};
use crate::test_issuer::{Behaviour, ChainLayout, TestIssuer};

/// Rule family (the code's first two letters) → directory under `fixtures/`.
const FAMILIES: [(&str, &str); 6] = [
    ("TK", "token"),
    ("IS", "issuer"),
    ("PV", "provider"),
    ("TP", "trust_policy"),
    ("EV", "evaluation"),
    ("AS", "sts"),
];

/// Rules without a fixture directory, each with why, and where it is tested
/// instead. A code here that gets a directory fails the harness (the entry is
/// then stale), as does a code the catalogue does not have.
const EXEMPT: &[(&str, &str)] = &[
    // A wall-clock measurement: the rule fires from 2 s of chain latency, so a
    // fixture would sleep for seconds and its severity would depend on the
    // machine's load. issuer_cli.rs::is008_a_chain_of_two_seconds_or_more_is_slow
    // and check_cli.rs::a_slow_issuer_is_is008 make the issuer slow on purpose.
    ("IS008", "needs a live timing measurement of 2 s or more"),
    // `check` and `provider` judge these only on the role as `iam:GetRole`
    // returns it (path, MaxSessionDuration); no offline input (`--policy`,
    // `--provider-json`) carries it, and the harness runs without AWS. Tested
    // against the AWS emulator: check_cli.rs::a_role_arn_without_the_role_path_is_pv006
    // and aws_cli.rs.
    ("PV006", "judged only on a role read live from IAM"),
    ("PV007", "judged only on a role read live from IAM"),
    // Needs a certificate chain that reaches a public root (webpki-roots): it
    // cannot be made offline, and a local issuer's test CA is by design not
    // public. The rule itself is unit-tested in src/rules/provider/thumbprints.rs.
    (
        "PV008",
        "needs an issuer with a publicly trusted certificate chain",
    ),
];

/// One rule of the catalogue as `explain --all --format json` prints it.
#[derive(Debug, Clone)]
struct Rule {
    code: String,
    slug: String,
}

impl Rule {
    fn family_dir(&self) -> &'static str {
        let (_, dir) = FAMILIES
            .iter()
            .find(|(prefix, _)| self.code.starts_with(prefix))
            .unwrap_or_else(|| panic!("{}: a code of no known family", self.code));
        dir
    }

    fn dir_name(&self) -> String {
        format!("{}-{}", self.code, self.slug)
    }

    fn dir(&self) -> PathBuf {
        fixture(self.family_dir()).join(self.dir_name())
    }
}

/// The catalogue, from the binary itself.
fn catalogue() -> Vec<Rule> {
    let output = oidc_doctor()
        .args(["explain", "--all", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "explain --all failed");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<Rule> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Rule {
            code: r["code"].as_str().unwrap().to_owned(),
            slug: r["slug"].as_str().unwrap().to_owned(),
        })
        .collect();
    assert!(rules.len() > 100, "only {} rules listed", rules.len());
    rules
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_rule_has_a_fixture_directory_or_an_exemption() {
    let rules = catalogue();
    let mut problems = Vec::new();
    for (code, why) in EXEMPT {
        match rules.iter().find(|r| r.code == *code) {
            None => problems.push(format!("{code}: exempted ({why}), but no such rule")),
            Some(rule) if rule.dir().exists() => problems.push(format!(
                "{code}: exempted ({why}), but {} exists: drop the exemption",
                rule.dir().display()
            )),
            Some(_) => {}
        }
    }
    for rule in &rules {
        if !EXEMPT.iter().any(|(code, _)| *code == rule.code) && !rule.dir().is_dir() {
            problems.push(format!(
                "{}: no fixture directory; expected fixtures/{}/{}/",
                rule.code,
                rule.family_dir(),
                rule.dir_name()
            ));
        }
    }
    // Nothing else in the family directories: a renamed rule or a typo in a
    // slug leaves a directory no rule owns.
    let names: BTreeSet<String> = rules.iter().map(Rule::dir_name).collect();
    for (prefix, family) in FAMILIES {
        for entry in file_names(&fixture(family)) {
            let path = fixture(family).join(&entry);
            if path.is_dir() && !(entry.starts_with(prefix) && names.contains(&entry)) {
                problems.push(format!(
                    "fixtures/{family}/{entry}/: not `<CODE>-<slug>` of a {prefix} rule"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// How one case is run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A token: `decode`.
    Token,
    /// A trust policy (in any form `lint` reads): `lint`.
    Policy,
    /// A JWKS document: `decode --jwks` of the example token.
    KeySet,
    /// One STS answer, served by the STS stand-in to `assume`.
    Answer,
    /// A `.run.json` file: the command line and the world it runs in.
    Run,
}

#[derive(Debug)]
struct Case {
    rule: Rule,
    dir: PathBuf,
    name: String,
    kind: Kind,
}

/// The cases of a directory, by family and file name; the other files are
/// inputs (`expected.json`, `args`, files a `.run.json` names).
fn cases(rule: &Rule) -> Vec<Case> {
    let dir = rule.dir();
    let mut cases = Vec::new();
    for name in file_names(&dir) {
        assert!(
            !dir.join(&name).is_dir(),
            "{}/{name}: no subdirectories in a fixture",
            dir.display()
        );
        // Fixture names are lower case: `.JSON` is no case, on purpose.
        let extension = Path::new(&name).extension().and_then(|e| e.to_str());
        let data = name != "expected.json";
        let kind = match (rule.family_dir(), extension) {
            _ if name.ends_with(".run.json") => Some(Kind::Run),
            ("token", Some("jwt")) => Some(Kind::Token),
            ("trust_policy", Some("json")) if data => Some(Kind::Policy),
            ("issuer", Some("json")) if data => Some(Kind::KeySet),
            ("sts", Some("xml")) => Some(Kind::Answer),
            _ => None,
        };
        if let Some(kind) = kind {
            cases.push(Case {
                rule: rule.clone(),
                dir: dir.clone(),
                name,
                kind,
            });
        }
    }
    cases
}

/// What a case gave: the command line (normalised) and the findings.
#[derive(Debug)]
struct Outcome {
    command: String,
    findings: Vec<Value>,
    /// A problem running it (not JSON, a wrong exit code, a wrong call count).
    problem: Option<String>,
}

/// `args` in the directory: extra arguments, one a line, for every case.
fn directory_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Placeholders of a `.run.json` and the machine-specific text of its output.
#[derive(Debug, Default)]
struct Substitutions {
    pairs: Vec<(String, String)>,
}

impl Substitutions {
    fn add(&mut self, placeholder: &str, value: String) {
        self.pairs.push((placeholder.to_owned(), value));
    }

    fn fill(&self, text: &str) -> String {
        self.pairs
            .iter()
            .fold(text.to_owned(), |t, (k, v)| t.replace(k, v))
    }

    /// The value back to its placeholder, longest values first.
    fn unfill(&self, text: &str) -> String {
        let mut pairs: Vec<&(String, String)> = self.pairs.iter().collect();
        pairs.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        pairs
            .iter()
            .fold(text.to_owned(), |t, (k, v)| t.replace(v.as_str(), k))
    }
}

/// The servers a case runs against, kept alive until the command has run.
#[derive(Default)]
struct World {
    issuer: Option<TestIssuer>,
    sts: Option<StsStandin>,
    /// The calls STS must have answered.
    expected_calls: Option<usize>,
    /// Output that depends on the servers and the clock: normalise it.
    live: bool,
}

/// One STS answer (`<status>-<retry|once>-<what>.xml`) to `assume`.
fn answer_args(
    case: &Case,
    temp: &Path,
    subs: &mut Substitutions,
    world: &mut World,
) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    // `<status>-<retry|once>-<what>.xml`: retried answers are asked
    // twice with --max-attempts 2, the others once.
    let mut parts = case.name.splitn(3, '-');
    let status: u16 = parts
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{}: not `<status>-<retry|once>-…`", case.name));
    world.expected_calls = Some(match parts.next() {
        Some("retry") => 2,
        Some("once") => 1,
        other => panic!("{}: `{other:?}` is neither retry nor once", case.name),
    });
    let body = std::fs::read_to_string(case.dir.join(&case.name)).unwrap();
    let standin = StsStandin::start(vec![Answer::Raw { status, body }]);
    subs.add("{sts}", standin.url());
    world.sts = Some(standin);
    let token = crate::support::github_token_file(temp);
    world.live = true;
    args.extend(
        [
            "assume",
            "--role-arn",
            "arn:aws:iam::123456789012:role/deploy",
            "--session-name",
            "fixture",
            "--max-attempts",
            "2",
            "--token-file",
        ]
        .map(String::from),
    );
    args.push(token.display().to_string());
    args.extend(directory_args(&case.dir));
    args
}

/// A `.run.json`: its servers, token and templates, then its command line.
fn run_args(case: &Case, temp: &Path, subs: &mut Substitutions, world: &mut World) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(case.dir.join(&case.name)).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let spec = spec
        .as_object()
        .unwrap_or_else(|| panic!("{}: not an object", case.name));
    for key in spec.keys() {
        assert!(
            ["args", "issuer", "token", "sts", "templates", "comment"].contains(&key.as_str()),
            "{}: unknown member `{key}`",
            case.name
        );
    }
    if let Some(behaviour) = spec.get("issuer") {
        let issuer = TestIssuer::start(behaviour_of(&case.dir, behaviour, &case.name));
        subs.add("{url}", issuer.url());
        subs.add("{host}", format!("127.0.0.1:{}", issuer.port()));
        subs.add(":{port}", format!(":{}", issuer.port()));
        // What IAM would compute for it: the served top intermediate's SHA-1.
        subs.add("{thumbprint}", hex_sha1(&issuer.intermediate_der()));
        subs.add("{ca}", issuer.ca_bundle().display().to_string());
        world.issuer = Some(issuer);
        world.live = true;
    }
    if let Some(answers) = spec.get("sts") {
        let answers: Vec<Answer> = answers
            .as_array()
            .unwrap()
            .iter()
            .map(|file| {
                let file = file.as_str().unwrap();
                let status: u16 = Path::new(file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .split('-')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap_or_else(|_| panic!("{file}: not `<status>-…`"));
                let body = std::fs::read_to_string(case.dir.join(file))
                    .unwrap_or_else(|e| panic!("{}: {file}: {e}", case.name));
                Answer::Raw { status, body }
            })
            .collect();
        world.expected_calls = Some(answers.len());
        let standin = StsStandin::start(answers);
        subs.add("{sts}", standin.url());
        world.sts = Some(standin);
        world.live = true;
    }
    if let Some(claims) = spec.get("token") {
        let now = jiff::Timestamp::now().as_second();
        let mut all = json!({
            "iss": "{url}",
            "sub": "repo:acme/app:ref:refs/heads/main",
            "aud": "sts.amazonaws.com",
            "iat": now - 30,
            "nbf": now - 30,
            "exp": now + 3600,
        });
        for (key, value) in claims.as_object().unwrap() {
            all[key] = value.clone();
        }
        let all: Value = serde_json::from_str(&subs.fill(&all.to_string())).unwrap();
        let path = temp.join("token.jwt");
        std::fs::write(&path, signed_token("test-rsa-1", &all)).unwrap();
        subs.add("{token}", path.display().to_string());
        world.live = true;
    }
    for file in spec
        .get("templates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let file = file.as_str().unwrap();
        let text = std::fs::read_to_string(case.dir.join(file))
            .unwrap_or_else(|e| panic!("{}: {file}: {e}", case.name));
        std::fs::write(temp.join(file), subs.fill(&text)).unwrap();
    }
    args.extend(
        spec.get("args")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{}: no `args` list", case.name))
            .iter()
            .map(|a| subs.fill(a.as_str().unwrap())),
    );
    args.extend(directory_args(&case.dir));
    args
}

fn run_case(case: &Case) -> Outcome {
    let temp = tempfile::tempdir().unwrap();
    let mut subs = Substitutions::default();
    subs.add("{tmp}", temp.path().display().to_string());
    let mut world = World::default();
    let args: Vec<String> = match case.kind {
        Kind::Token => ["decode", "--at", FIXTURE_NOW]
            .map(String::from)
            .into_iter()
            .chain(directory_args(&case.dir))
            .chain([case.name.clone()])
            .collect(),
        Kind::Policy => std::iter::once("lint".to_owned())
            .chain(directory_args(&case.dir))
            .chain([case.name.clone()])
            .collect(),
        Kind::KeySet => ["decode", "--at", FIXTURE_NOW, "--jwks", &case.name]
            .map(String::from)
            .into_iter()
            .chain(directory_args(&case.dir))
            .chain(["../../examples/github-actions.jwt".to_owned()])
            .collect(),
        Kind::Answer => answer_args(case, temp.path(), &mut subs, &mut world),
        Kind::Run => run_args(case, temp.path(), &mut subs, &mut world),
    };
    let mut cmd = oidc_doctor();
    cmd.current_dir(&case.dir)
        .envs(no_aws_setup(temp.path()))
        .args(&args)
        .args(["--format", "json", "--fail-on", "never"]);
    if let Some(standin) = &world.sts {
        cmd.env("AWS_ENDPOINT_URL_STS", standin.url());
    }
    let output = cmd.output().unwrap();
    let command = format!("oidc-doctor {}", subs.unfill(&args.join(" ")));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problem = None;
    if output.status.code() != Some(0) {
        problem = Some(format!(
            "exit code {:?} (0 expected with --fail-on never): {stderr}",
            output.status.code()
        ));
    }
    let findings = match serde_json::from_slice::<Value>(&output.stdout) {
        Ok(report) => report["findings"].as_array().cloned().unwrap_or_default(),
        Err(e) => {
            problem.get_or_insert(format!("not a JSON report ({e}): {stderr}"));
            Vec::new()
        }
    };
    if let (Some(expected), Some(standin)) = (world.expected_calls, &world.sts)
        && standin.calls() != expected
    {
        problem.get_or_insert(format!(
            "STS was called {} time(s), {expected} expected",
            standin.calls()
        ));
    }
    let findings = findings
        .into_iter()
        .map(|f| {
            let text = subs.unfill(&f.to_string());
            let text = if world.live {
                normalise_live(&text)
            } else {
                text
            };
            serde_json::from_str(&text).unwrap()
        })
        .collect();
    Outcome {
        command,
        findings,
        problem,
    }
}

/// The test issuer's behaviour from a `.run.json`'s `issuer` object.
fn behaviour_of(dir: &Path, spec: &Value, case: &str) -> Behaviour {
    let mut behaviour = Behaviour::default();
    let text = |value: &Value| value.as_str().map(str::to_owned);
    let body = |value: &Value| {
        let file = value.as_str().unwrap();
        std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{case}: {file}: {e}"))
    };
    let millis = |value: &Value| Duration::from_millis(value.as_u64().unwrap());
    for (key, value) in spec.as_object().unwrap() {
        match key.as_str() {
            "path_prefix" => behaviour.path_prefix = text(value).unwrap(),
            "jwks_delay_ms" => behaviour.jwks_delay = millis(value),
            "fail_every_other" => behaviour.fail_every_other = value.as_bool().unwrap(),
            "max_in_flight" => {
                behaviour.max_in_flight = Some(usize::try_from(value.as_u64().unwrap()).unwrap());
            }
            "jwks_cache_control" => behaviour.jwks_cache_control = text(value),
            "discovery_cache_control" => behaviour.discovery_cache_control = text(value),
            "jwks_pragma_no_cache" => behaviour.jwks_pragma_no_cache = value.as_bool().unwrap(),
            "discovery_issuer" => behaviour.discovery_issuer = text(value),
            "jwks_uri" => behaviour.jwks_uri = text(value),
            "signing_algs" => {
                behaviour.signing_algs = value.as_array().map(|algs| {
                    algs.iter()
                        .map(|a| a.as_str().unwrap().to_owned())
                        .collect()
                });
            }
            "discovery_body_file" => behaviour.discovery_body = Some(body(value)),
            "jwks_body_file" => behaviour.jwks_body = Some(body(value)),
            "oversize_jwks" => behaviour.oversize_jwks = value.as_bool().unwrap(),
            "discovery_redirects" => {
                behaviour.discovery_redirects = usize::try_from(value.as_u64().unwrap()).unwrap();
            }
            "jwks_redirect_to_http" => behaviour.jwks_redirect_to_http = value.as_bool().unwrap(),
            "chain" => {
                behaviour.chain = match value.as_str().unwrap() {
                    "normal" => ChainLayout::Normal,
                    "with-root" => ChainLayout::WithRoot,
                    "wrong-order" => ChainLayout::WrongOrder,
                    "extra" => ChainLayout::Extra,
                    "duplicate" => ChainLayout::Duplicate,
                    "leaf-only" => ChainLayout::LeafOnly,
                    other => panic!("{case}: no chain layout `{other}`"),
                };
            }
            "leaf_expires_in_hours" => {
                behaviour.leaf_expires_in =
                    Some(Duration::from_secs(value.as_u64().unwrap() * 3600));
            }
            other => panic!("{case}: unknown issuer behaviour `{other}`"),
        }
    }
    behaviour
}

/// What differs between two runs against live local servers: the test
/// CA's certificates (thumbprints), times and dates, durations measured
/// from now (`in 72y 46d`, `2m ago`, `2100 ms`), and which of the concurrent
/// samples met a failure (`(sample 2: ...`).
fn normalise_live(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let ends_word = |at: usize| !chars.get(at).is_some_and(char::is_ascii_alphanumeric);
        let hex = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if starts_word && hex == 40 && ends_word(i + hex) {
            out.push_str("<sha1>");
            i += hex;
            continue;
        }
        if starts_word && let Some(len) = timestamp_at(&chars[i..]) {
            out.push_str(if len > 10 { "<time>" } else { "<date>" });
            i += len;
            continue;
        }
        // Samples run concurrently: which one met a failure varies.
        if starts_word && out.ends_with("(sample ") && chars[i].is_ascii_digit() {
            out.push_str("<n>");
            i += chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            continue;
        }
        if starts_word && let Some(len) = duration_at(&chars[i..]) {
            let after: String = chars[i + len..].iter().take(4).collect();
            if out.ends_with("in ") || after == " ago" || chars[i..i + len].ends_with(&['m', 's']) {
                out.push_str("<duration>");
                i += len;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The length of an RFC 3339 UTC time (`2026-06-01T12:00:00Z`, with
/// optional fractional seconds) or a date (`2026-06-01`) at the start of
/// `chars`.
fn timestamp_at(chars: &[char]) -> Option<usize> {
    let fits = |shape: &str, from: usize| {
        chars.len() >= from + shape.len()
            && chars[from..].iter().zip(shape.chars()).all(|(c, s)| {
                if s == 'd' {
                    c.is_ascii_digit()
                } else {
                    *c == s
                }
            })
    };
    if !fits("dddd-dd-dd", 0) {
        return None;
    }
    if !fits("Tdd:dd:dd", 10) {
        return (!chars.get(10).is_some_and(char::is_ascii_alphanumeric)).then_some(10);
    }
    let mut len = 19;
    if chars.get(len) == Some(&'.') {
        len += 1 + chars[len + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
    }
    (chars.get(len) == Some(&'Z')).then_some(len + 1)
}

/// The length of a duration as the tool writes them (`72y 46d`, `3m`,
/// `10 days`, `2100 ms`) at the start of `chars`: numbers with a unit,
/// separated by single spaces.
fn duration_at(chars: &[char]) -> Option<usize> {
    const UNITS: [&str; 14] = [
        " minutes", " minute", " seconds", " second", " hours", " hour", " days", " day", " ms",
        "ms", "y", "d", "h", "m",
    ];
    let mut len = 0;
    loop {
        let digits = chars[len..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            break;
        }
        let rest = &chars[len + digits..];
        let Some(unit) = UNITS.iter().chain(std::iter::once(&"s")).find(|u| {
            rest.len() >= u.len()
                && rest.iter().zip(u.chars()).all(|(a, b)| *a == b)
                && !rest.get(u.len()).is_some_and(char::is_ascii_alphanumeric)
        }) else {
            break;
        };
        len += digits + unit.len();
        if chars.get(len) == Some(&' ') && chars.get(len + 1).is_some_and(char::is_ascii_digit) {
            len += 1;
        } else {
            break;
        }
    }
    // A trailing space taken before a number that has no unit is not ours.
    while len > 0 && chars[len - 1] == ' ' {
        len -= 1;
    }
    (len > 0).then_some(len)
}

/// Runs every case, a few at a time.
fn run_all(cases: &[Case]) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(cases.len()).collect());
    let workers = std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(2, 8)
        * 2;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let outcome = run_case(case);
                    results.lock().unwrap()[i] = Some(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

fn code_of(finding: &Value) -> &str {
    finding["code"].as_str().unwrap_or_default()
}

/// One finding as the snapshot shows it.
fn projection(finding: &Value) -> String {
    let location = &finding["location"];
    let at = if location.is_null() {
        "(no location)".to_owned()
    } else {
        format!(
            "{}:{}:{}",
            location["path"].as_str().unwrap_or("?"),
            location["line"],
            location["column"]
        )
    };
    format!(
        "  {} {} {at}\n    {}\n",
        code_of(finding),
        finding["severity"].as_str().unwrap_or("?"),
        finding["message"].as_str().unwrap_or("?")
    )
}

/// `expected.json`, when the directory has one: for each case, the codes
/// (a list of strings) or the findings by code, line and pointer (a list
/// of objects) it must produce, no more and no fewer.
fn check_expected(dir: &Path, outcomes: &[(&Case, &Outcome)], problems: &mut Vec<String>) {
    let Ok(text) = std::fs::read_to_string(dir.join("expected.json")) else {
        return;
    };
    let name = dir.file_name().unwrap().to_string_lossy();
    let expected: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
    let listed: BTreeSet<&str> = expected.keys().map(String::as_str).collect();
    let present: BTreeSet<&str> = outcomes.iter().map(|(c, _)| c.name.as_str()).collect();
    if listed != present {
        problems.push(format!(
            "{name}/expected.json lists {listed:?}, the cases are {present:?}"
        ));
    }
    for (case, outcome) in outcomes {
        let Some(entries) = expected.get(&case.name).and_then(Value::as_array) else {
            continue;
        };
        let by_location = entries.iter().any(Value::is_object);
        let want: BTreeSet<String> = entries
            .iter()
            .map(|e| match e {
                Value::String(code) => code.clone(),
                e => format!("{} line {} {}", e["code"], e["line"], e["pointer"]),
            })
            .collect();
        // A key set is run as `decode --jwks` of the example token: the
        // token's own findings (TK014, TK013 when no key verifies it) are in
        // the snapshot, but not what the key set's expected.json is about.
        let got: BTreeSet<String> = outcome
            .findings
            .iter()
            .filter(|f| case.kind != Kind::KeySet || !code_of(f).starts_with("TK"))
            .map(|f| {
                if by_location {
                    format!(
                        "{} line {} {}",
                        f["code"], f["location"]["line"], f["location"]["pointer"]
                    )
                } else {
                    code_of(f).to_owned()
                }
            })
            .collect();
        if want != got {
            problems.push(format!(
                "{name}/{}: differs from expected.json\n    missing: {:?}\n    extra:   {:?}",
                case.name,
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
    }
}

#[test]
fn every_fixture_fires_its_rule_and_matches_its_snapshot() {
    let rules: Vec<Rule> = catalogue()
        .into_iter()
        .filter(|r| r.dir().is_dir())
        .collect();
    let all: Vec<Case> = rules.iter().flat_map(cases).collect();
    let outcomes = run_all(&all);
    let mut problems = Vec::new();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/fixtures");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let mut snapshot_failures = Vec::new();
    for rule in &rules {
        let mine: Vec<(&Case, &Outcome)> = all
            .iter()
            .zip(&outcomes)
            .filter(|(c, _)| c.rule.code == rule.code)
            .collect();
        let name = rule.dir_name();
        if mine.is_empty() {
            problems.push(format!(
                "fixtures/{}/{name}/: no case in it (see fixtures/README.md)",
                rule.family_dir()
            ));
            continue;
        }
        let mut snapshot = String::new();
        let mut fired = false;
        for (case, outcome) in &mine {
            if let Some(problem) = &outcome.problem {
                problems.push(format!("{name}/{}: {problem}", case.name));
            }
            let has = outcome.findings.iter().any(|f| code_of(f) == rule.code);
            let negative = case.name.starts_with("ok-");
            fired |= has && !negative;
            if negative && has {
                problems.push(format!(
                    "{name}/{}: an ok- case must not produce {}",
                    case.name, rule.code
                ));
            } else if !negative && !has {
                let codes: Vec<&str> = outcome.findings.iter().map(code_of).collect();
                problems.push(format!(
                    "{name}/{}: does not produce {} (it produces {codes:?})",
                    case.name, rule.code
                ));
            }
            let _ = writeln!(snapshot, "{}\n$ {}", case.name, outcome.command);
            if outcome.findings.is_empty() {
                snapshot.push_str("  (no findings)\n");
            }
            for finding in &outcome.findings {
                snapshot.push_str(&projection(finding));
            }
            snapshot.push('\n');
        }
        if !fired {
            problems.push(format!("{name}: no case produces {}", rule.code));
        }
        check_expected(&rule.dir(), &mine, &mut problems);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name.clone(), snapshot));
        }));
        if result.is_err() {
            snapshot_failures.push(name);
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        snapshot_failures.is_empty(),
        "the findings of {} fixture directories changed (review with `cargo insta review`): {}",
        snapshot_failures.len(),
        snapshot_failures.join(", ")
    );
}

#[test]
fn live_output_is_normalised_and_offline_output_is_not_touched() {
    assert_eq!(
        normalise_live(
            "thumbprint 0123456789abcdef0123456789abcdef01234567, expires 2026-06-01T12:00:00Z (in 72y 46d), took 2100 ms"
        ),
        "thumbprint <sha1>, expires <time> (in <duration>), took <duration>"
    );
    assert_eq!(
        normalise_live("expires on 2026-12-14 (in 10 days), expired 2m ago, 3 of 5 samples"),
        "expires on <date> (in <duration>), expired <duration> ago, 3 of 5 samples"
    );
    assert_eq!(
        normalise_live("1 of 2 samples failed (sample 2: discovery: HTTP 503)"),
        "1 of 2 samples failed (sample <n>: discovery: HTTP 503)"
    );
    // 41 hex characters or an embedded run are not a thumbprint.
    let long = "0123456789abcdef0123456789abcdef012345678";
    assert_eq!(normalise_live(long), long);
    assert_eq!(
        normalise_live("x2026-06-01T12:00:00"),
        "x2026-06-01T12:00:00"
    );
    let mut subs = Substitutions::default();
    subs.add("{url}", "https://127.0.0.1:4242".to_owned());
    subs.add("{host}", "127.0.0.1:4242".to_owned());
    assert_eq!(
        subs.unfill("https://127.0.0.1:4242/jwks on 127.0.0.1:4242"),
        "{url}/jwks on {host}"
    );
}
