//! The verdict of `check`: from every stage's findings and STS's live
//! answer, whether the login works, and the causes ranked root cause first.
//!
//! Ranking, in order: a cause that explains the answer STS actually gave
//! beats one that does not; an earlier link of the chain STS walks beats a
//! later one (the token, then the provider for its issuer, the issuer's
//! keys, the audience, the trust policy and the role); breakage before
//! security before hygiene; then severity; then the more specific rule
//! before the general one (TP106 names why the principal differs, EV001
//! only that the policy refuses). Pure: no I/O.

use crate::finding::{Category, Finding, Severity};

/// What the live assume did, as the verdict needs it.
#[derive(Debug, Clone)]
pub enum Live {
    /// STS was not called (`--no-assume`, `--offline`, no role); why.
    NotCalled(String),
    /// STS issued credentials.
    Assumed,
    /// STS refused: the class of the last answer (`AS101`...), its words,
    /// and how many attempts were made.
    Refused {
        code: &'static str,
        answer: String,
        attempts: usize,
    },
}

/// How the login stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It works: STS issued credentials, or every stage that ran passed.
    Ok,
    /// A cause makes it fail.
    Fails,
    /// It works, but findings make failures or a takeover likely.
    AtRisk,
    /// Too little could run to say.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Fails => "fails",
            Status::AtRisk => "at-risk",
            Status::Unknown => "unknown",
        }
    }

    /// The verdict in a few words, for titles.
    pub fn headline(self) -> &'static str {
        match self {
            Status::Ok => "the login works",
            Status::Fails => "the login fails",
            Status::AtRisk => "the login works, but is at risk",
            Status::Unknown => "too little could be checked to say",
        }
    }
}

/// One cause, resting on one finding.
#[derive(Debug, Clone)]
pub struct Cause {
    pub code: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    /// The stage whose finding it is.
    pub stage: &'static str,
    pub summary: String,
    pub evidence: Vec<String>,
    pub fix: String,
    /// What to paste (a policy fragment, a command), when there is one.
    pub suggestion: Option<String>,
}

/// The verdict: the status and the causes, root cause first.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub causes: Vec<Cause>,
    /// Why the status is `unknown`, or what was not checked.
    pub note: Option<String>,
}

/// The stage a finding's rule belongs to in `check`.
pub fn stage_of(code: &str) -> &'static str {
    match code {
        "TK013" => "issuer",
        "PV001" | "PV002" | "PV004" | "PV008" => "provider",
        "EV002" => "assume",
        _ => match code.get(..2) {
            Some("TK") => "token",
            Some("IS") => "issuer",
            Some("AS") => "assume",
            _ => "policy",
        },
    }
}

/// The stage a finding came from: its rule's, except for TK015 raised on
/// a trust policy (it then has a location in the policy).
fn stage_of_finding(finding: &Finding) -> &'static str {
    match finding.rule.code {
        "TK015" if finding.location.is_some() => "policy",
        code => stage_of(code),
    }
}

/// The link of the chain STS walks a rule is about: lower is earlier.
fn link(code: &str) -> u8 {
    match code {
        "PV001" | "TK010" | "TK015" => 1,
        "PV004" | "PV008" | "TK013" => 2,
        "PV002" | "TK008" => 3,
        "EV002" => 5,
        _ if code.starts_with("TK") => 0,
        _ if code.starts_with("IS") => 2,
        _ if code.starts_with("AS") => 6,
        _ => 4,
    }
}

/// The rules that can explain each STS answer, the most specific first
/// (the order of sts-facts and trust-policy-mistakes). An AS finding
/// explains itself, after all of these.
fn explains(answer: &str) -> &'static [&'static str] {
    match answer {
        "AS101" => &[
            "PV006", "TP106", "TP107", "TP101", "PV005", "TP201", "TP203", "TP204", "TP301",
            "TP302", "TP608", "TP609", "TP615", "TP616", "TP617", "TP401", "TP407", "TP408",
            "TP409", "TP410", "TP103", "TP004", "TP303", "EV001", "EV002",
        ],
        "AS102" => &["PV002", "TK008"],
        "AS103" => &[
            "PV001", "TK010", "TP105", "TP107", "TP106", "IS001", "IS004", "TK015",
        ],
        "AS104" | "AS110" => &[
            "IS022", "IS002", "IS006", "IS008", "IS019", "IS018", "IS009", "IS010", "IS003",
            "IS005", "IS007", "IS012", "IS011", "TK013", "IS020", "IS017", "IS014", "IS015",
            "IS021",
        ],
        "AS105" => &["PV004", "IS015", "IS016"],
        "AS106" => &["TK005", "TK012", "TK006"],
        "AS107" => &["TK001", "TK002", "TK007"],
        "AS108" => &["TK004"],
        "AS109" => &["IS009", "IS019"],
        "AS111" => &["PV007", "PV006", "TK009"],
        "AS113" => &["TK011"],
        _ => &[],
    }
}

/// Findings that make a working login fragile: it fails some of the time,
/// or soon, or the evaluation of it is wrong.
const FRAGILE: &[&str] = &[
    "AS002", "IS008", "IS009", "IS018", "IS019", "IS021", "TK012", "PV004", "PV008", "EV002",
];

/// The rank of a finding as a cause; lower ranks first.
fn rank(finding: &Finding, answer: Option<&str>) -> (u8, u8, u8, u8, usize) {
    let list = answer.map_or(&[][..], explains);
    let position = list.iter().position(|c| *c == finding.rule.code);
    let explaining = match (answer, position) {
        (None, _) | (_, Some(_)) => 0,
        (Some(code), None) if code == finding.rule.code => 0,
        _ => 1,
    };
    let category = match finding.rule.category {
        Category::Breakage => 0,
        Category::Security => 1,
        Category::Hygiene => 2,
    };
    let severity = match finding.severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    };
    // The symptom (the AS finding) after every finding that explains it.
    let specificity = position.unwrap_or(if finding.rule.code.starts_with("AS") {
        usize::MAX
    } else {
        list.len()
    });
    (
        explaining,
        link(finding.rule.code),
        category,
        severity,
        specificity,
    )
}

/// Whether a finding can be a cause at all: breakage and security from
/// medium up, hygiene from high up.
fn worth_a_cause(finding: &Finding) -> bool {
    match finding.rule.category {
        Category::Breakage | Category::Security => finding.severity >= Severity::Medium,
        Category::Hygiene => finding.severity >= Severity::High,
    }
}

/// Where a stage's findings came from, for the evidence lines.
#[derive(Debug, Clone, Copy)]
pub struct StageLine<'a> {
    pub name: &'static str,
    pub detail: &'a str,
}

/// Judges the findings against what STS did. `evaluated` is whether the
/// trust policy was evaluated against the token (the offline stand-in for
/// the live call).
pub fn judge(
    findings: &[Finding],
    live: &Live,
    evaluated: bool,
    stages: &[StageLine<'_>],
) -> Verdict {
    let answer = match live {
        Live::Refused { code, .. } => Some(*code),
        _ => None,
    };
    let mut candidates: Vec<&Finding> = findings
        .iter()
        .filter(|f| worth_a_cause(f))
        .filter(|f| match live {
            // STS issued credentials: what predicted a refusal did not
            // happen; what is left are risks.
            Live::Assumed => {
                FRAGILE.contains(&f.rule.code)
                    || (f.rule.category == Category::Security && f.severity >= Severity::High)
            }
            _ => true,
        })
        .collect();
    candidates.sort_by_key(|f| rank(f, answer));
    // The symptom is quoted in the evidence of whatever explains it.
    if let Some(answer) = answer
        && candidates
            .iter()
            .any(|f| explains(answer).contains(&f.rule.code))
    {
        candidates.retain(|f| f.rule.code != answer);
    }
    let mut cited: Vec<&'static str> = Vec::new();
    let mut evidence_for = |finding: &Finding| -> Vec<String> {
        let mut evidence = Vec::new();
        if let Live::Refused {
            code,
            answer,
            attempts,
        } = live
        {
            let explained =
                explains(code).contains(&finding.rule.code) || finding.rule.code == *code;
            let tries = if *attempts == 1 {
                "1 attempt".to_owned()
            } else {
                format!("{attempts} attempts")
            };
            if explained {
                evidence.push(format!("STS answered `{answer}` ({code}) after {tries}"));
            } else {
                evidence.push(format!(
                    "not what STS refused the token for ({code}), but a problem of its own"
                ));
            }
        }
        // Each stage's result is cited once, with its first cause.
        let stage = stage_of_finding(finding);
        if !cited.contains(&stage)
            && let Some(line) = stages.iter().find(|s| s.name == stage)
        {
            cited.push(stage);
            evidence.push(format!("{} stage: {}", line.name, line.detail));
        }
        evidence
    };
    let causes: Vec<Cause> = candidates
        .iter()
        .map(|f| Cause {
            code: f.rule.code,
            slug: f.rule.slug,
            severity: f.severity,
            stage: stage_of_finding(f),
            summary: f.message.clone(),
            evidence: evidence_for(f),
            fix: f.help.clone(),
            suggestion: f.suggestion.clone(),
        })
        .collect();
    // What the other stages predict, STS's own answer aside.
    let breaks = candidates.iter().any(|f| {
        f.rule.category == Category::Breakage
            && f.severity >= Severity::High
            && !f.rule.code.starts_with("AS")
    });
    let (status, note) = status(live, causes.is_empty(), breaks, evaluated);
    Verdict {
        status,
        causes,
        note,
    }
}

/// The status, and a note on what it could not use.
fn status(live: &Live, no_causes: bool, breaks: bool, evaluated: bool) -> (Status, Option<String>) {
    match live {
        // No answer from STS (network, TLS, 5xx) says nothing of the login.
        Live::Refused {
            code: "AS114",
            answer,
            ..
        } if !breaks => (
            Status::Unknown,
            Some(format!(
                "STS could not be reached ({answer}): the login was not tried"
            )),
        ),
        Live::Refused { .. } => (Status::Fails, None),
        Live::Assumed if no_causes => (Status::Ok, None),
        Live::Assumed => (Status::AtRisk, None),
        Live::NotCalled(why) if breaks => (
            Status::Fails,
            Some(format!("judged without STS, which was not called: {why}")),
        ),
        Live::NotCalled(why) if !evaluated => (
            Status::Unknown,
            Some(format!(
                "STS was not called ({why}) and the trust policy was not evaluated against the token: \
                 nothing says whether the login works"
            )),
        ),
        Live::NotCalled(why) if no_causes => (
            Status::Ok,
            Some(format!("judged without STS, which was not called: {why}")),
        ),
        Live::NotCalled(why) => (
            Status::AtRisk,
            Some(format!("judged without STS, which was not called: {why}")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    fn finding(rule: &'static crate::finding::Rule) -> Finding {
        Finding::new(
            rule,
            format!("{} fired", rule.code),
            format!("fix {}", rule.code),
        )
    }

    fn codes(verdict: &Verdict) -> Vec<&str> {
        verdict.causes.iter().map(|c| c.code).collect()
    }

    #[test]
    fn the_cause_that_explains_sts_answer_comes_first() {
        // The local issuer's port (TK010) is real, but STS said AccessDenied.
        let findings = [
            finding(&rules::TK010),
            finding(&rules::EV001),
            finding(&rules::AS101),
        ];
        let live = Live::Refused {
            code: "AS101",
            answer: "AccessDenied: Not authorized".to_owned(),
            attempts: 1,
        };
        let verdict = judge(&findings, &live, true, &[]);
        assert_eq!(verdict.status, Status::Fails);
        // The symptom (AS101) is in the evidence of its cause, not a cause.
        assert_eq!(codes(&verdict), ["EV001", "TK010"]);
        assert!(verdict.causes[0].evidence[0].contains("(AS101) after 1 attempt"));
        assert!(
            verdict.causes[1].evidence[0].contains("not what STS refused the token for (AS101)")
        );
    }

    #[test]
    fn a_specific_rule_beats_the_general_refusal() {
        let findings = [finding(&rules::EV001), finding(&rules::TP106)];
        let live = Live::Refused {
            code: "AS101",
            answer: "AccessDenied".to_owned(),
            attempts: 1,
        };
        assert_eq!(
            codes(&judge(&findings, &live, true, &[])),
            ["TP106", "EV001"]
        );
    }

    #[test]
    fn without_sts_an_earlier_link_wins() {
        // No provider for the issuer comes before a policy mismatch.
        let findings = [finding(&rules::EV001), finding(&rules::PV001)];
        let live = Live::NotCalled("--no-assume".to_owned());
        let verdict = judge(&findings, &live, true, &[]);
        assert_eq!(verdict.status, Status::Fails);
        assert_eq!(codes(&verdict), ["PV001", "EV001"]);
    }

    #[test]
    fn a_look_alike_in_the_policy_is_cited_with_the_policy_stage() {
        let in_token = finding(&rules::TK015);
        let in_policy = finding(&rules::TK015).with_location(crate::finding::Location {
            path: "role.json".to_owned(),
            line: 7,
            column: 9,
            pointer: "/Statement/0/Principal/Federated".to_owned(),
            resource: None,
            span: None,
            source: None,
            in_file: None,
        });
        let stages = [
            StageLine {
                name: "token",
                detail: "decoded",
            },
            StageLine {
                name: "policy",
                detail: "linted",
            },
        ];
        let live = Live::NotCalled("--no-assume".to_owned());
        let verdict = judge(&[in_token, in_policy], &live, true, &stages);
        let stages: Vec<&str> = verdict.causes.iter().map(|c| c.stage).collect();
        assert_eq!(stages, ["token", "policy"]);
        assert_eq!(verdict.causes[1].evidence, ["policy stage: linted"]);
    }

    #[test]
    fn breakage_before_security_before_hygiene() {
        let findings = [finding(&rules::TP601), finding(&rules::TP617)];
        let live = Live::NotCalled("--no-assume".to_owned());
        assert_eq!(
            codes(&judge(&findings, &live, true, &[])),
            ["TP617", "TP601"]
        );
    }

    #[test]
    fn a_working_login_keeps_only_its_risks() {
        let findings = [
            finding(&rules::TK010),
            finding(&rules::IS009),
            finding(&rules::AS001),
        ];
        let verdict = judge(&findings, &Live::Assumed, true, &[]);
        assert_eq!(verdict.status, Status::AtRisk);
        assert_eq!(codes(&verdict), ["IS009"]);
        let clean = judge(&[finding(&rules::AS001)], &Live::Assumed, true, &[]);
        assert_eq!(clean.status, Status::Ok);
        assert!(clean.causes.is_empty());
    }

    #[test]
    fn too_little_to_say_is_unknown() {
        let verdict = judge(&[], &Live::NotCalled("--offline".to_owned()), false, &[]);
        assert_eq!(verdict.status, Status::Unknown);
        assert!(verdict.note.unwrap().contains("--offline"));
        let offline_ok = judge(&[], &Live::NotCalled("--offline".to_owned()), true, &[]);
        assert_eq!(offline_ok.status, Status::Ok);
    }

    #[test]
    fn an_unreachable_sts_is_unknown_not_a_failure() {
        let findings = [finding(&rules::AS114)];
        let live = Live::Refused {
            code: "AS114",
            answer: "network error: connection refused".to_owned(),
            attempts: 6,
        };
        let verdict = judge(&findings, &live, true, &[]);
        assert_eq!(verdict.status, Status::Unknown);
        assert_eq!(codes(&verdict), ["AS114"]);
        assert!(verdict.note.unwrap().contains("connection refused"));
    }

    #[test]
    fn an_unexplained_answer_is_its_own_cause() {
        let findings = [finding(&rules::AS109)];
        let live = Live::Refused {
            code: "AS109",
            answer: "Throttling: Rate exceeded".to_owned(),
            attempts: 6,
        };
        let verdict = judge(&findings, &live, true, &[]);
        assert_eq!(codes(&verdict), ["AS109"]);
        assert!(verdict.causes[0].evidence[0].contains("after 6 attempts"));
    }
}
