//! Reading a `sub` claim by its issuer's grammar: which form it uses and what
//! its segments name. No I/O.

use super::issuers::SubGrammar;

/// A `sub` value split into labelled segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectForm {
    /// The form in use: "classic", "immutable", "custom template", "default"...
    pub form: &'static str,
    /// The claim keys of the template, in order (for custom templates).
    pub keys: Vec<String>,
    /// (label, value) pairs, ready to show.
    pub parts: Vec<(String, String)>,
}

impl SubjectForm {
    fn new(form: &'static str, keys: Vec<String>, parts: Vec<(String, String)>) -> Self {
        SubjectForm { form, keys, parts }
    }

    fn unrecognised() -> Self {
        SubjectForm::new("not recognised", Vec::new(), Vec::new())
    }

    /// `owner acme, repository app, branch main`.
    pub fn parts_text(&self) -> String {
        self.parts
            .iter()
            .map(|(label, value)| {
                if value.is_empty() {
                    label.clone()
                } else {
                    format!("{label} {value}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Claim names GitHub accepts in a custom `sub` template (`include_claim_keys`).
const GITHUB_TEMPLATE_KEYS: &[&str] = &[
    "repo",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repository_visibility",
    "context",
    "environment",
    "ref",
    "ref_type",
    "job_workflow_ref",
    "job_workflow_sha",
    "workflow",
    "workflow_ref",
    "workflow_sha",
    "actor",
    "actor_id",
    "event_name",
    "head_ref",
    "base_ref",
    "runner_environment",
    "enterprise",
    "enterprise_id",
];
const GITLAB_KEYS: &[&str] = &[
    "project_path",
    "project_id",
    "namespace_path",
    "namespace_id",
    "ref_type",
    "ref",
    "ref_protected",
    "environment",
    "environment_protected",
    "deployment_tier",
    "pipeline_source",
    "user_login",
];
const TERRAFORM_KEYS: &[&str] = &["organization", "project", "workspace", "run_phase"];
const BUILDKITE_KEYS: &[&str] = &["organization", "pipeline", "ref", "commit", "step"];
const CIRCLECI_KEYS: &[&str] = &["org", "project", "user", "vcs-origin", "vcs-ref"];

/// Splits `value` on `separator` into (key, value) segments, where a piece
/// that is one of `keys` starts a new segment and anything else continues
/// the current value. The first piece must be a key.
pub fn segments(value: &str, separator: char, keys: &[&str]) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for piece in value.split(separator) {
        let starts_segment =
            keys.contains(&piece) && out.last().is_none_or(|(_, current)| !current.is_empty());
        if starts_segment {
            out.push((piece.to_owned(), String::new()));
        } else {
            let (_, current) = out.last_mut()?;
            if !current.is_empty() {
                current.push(separator);
            }
            current.push_str(piece);
        }
    }
    Some(out)
}

/// The issuer family of a token and its `sub` read by that family's grammar
/// (`None` without an `iss`; no subject form without a non-empty `sub`).
pub fn identify(
    jwt: &super::token::Jwt,
) -> Option<(&'static super::issuers::IssuerFamily, Option<SubjectForm>)> {
    let iss = jwt.claim_str("iss")?;
    let sub = jwt.claim_str("sub").filter(|s| !s.is_empty());
    let family = super::issuers::detect(iss, sub);
    Some((family, sub.map(|sub| describe(family.sub_grammar, sub))))
}

/// Reads `sub` by `grammar`.
pub fn describe(grammar: SubGrammar, sub: &str) -> SubjectForm {
    match grammar {
        SubGrammar::GitHub => github(sub),
        SubGrammar::GitLab => keyed(sub, ':', GITLAB_KEYS, &["project_path", "ref_type", "ref"]),
        SubGrammar::Terraform => {
            let form = keyed(sub, ':', TERRAFORM_KEYS, TERRAFORM_KEYS);
            if form.form == "custom template"
                && form.keys == ["organization", "workspace", "run_phase"]
            {
                return SubjectForm::new("older form without project", form.keys, form.parts);
            }
            form
        }
        SubGrammar::Buildkite => keyed(sub, ':', BUILDKITE_KEYS, BUILDKITE_KEYS),
        SubGrammar::CircleCi => {
            let form = keyed(sub, '/', CIRCLECI_KEYS, &["org", "project", "user"]);
            if form.keys == CIRCLECI_KEYS {
                return SubjectForm::new("v2 (with VCS origin and ref)", form.keys, form.parts);
            }
            form
        }
        SubGrammar::Bitbucket => bitbucket(sub),
        SubGrammar::Kubernetes => kubernetes(sub),
        SubGrammar::UserId => SubjectForm::new(
            "user identifier",
            Vec::new(),
            vec![("identifier".to_owned(), sub.to_owned())],
        ),
    }
}

fn keyed(sub: &str, separator: char, keys: &[&str], default: &[&str]) -> SubjectForm {
    let Some(segments) = segments(sub, separator, keys) else {
        return SubjectForm::unrecognised();
    };
    let names: Vec<String> = segments.iter().map(|(k, _)| k.clone()).collect();
    let form = if names == default {
        "default"
    } else {
        "custom template"
    };
    let parts = segments
        .into_iter()
        .map(|(key, value)| (key.replace(['_', '-'], " "), value))
        .collect();
    SubjectForm::new(form, names, parts)
}

fn github(sub: &str) -> SubjectForm {
    // `pull_request` is a whole context with no value; treat it as a key.
    let mut keys: Vec<&str> = GITHUB_TEMPLATE_KEYS.to_vec();
    keys.push("pull_request");
    let Some(segments) = segments(sub, ':', &keys) else {
        return SubjectForm::unrecognised();
    };
    let names: Vec<String> = segments.iter().map(|(k, _)| k.clone()).collect();
    let mut parts = Vec::new();
    let mut immutable = false;
    for (key, value) in &segments {
        match key.as_str() {
            "repo" => {
                let (owner, repo) = value.split_once('/').unwrap_or((value.as_str(), ""));
                for (label, name) in [("owner", owner), ("repository", repo)] {
                    match name.rsplit_once('@') {
                        Some((name, id))
                            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            immutable = true;
                            parts.push((label.to_owned(), format!("{name} (id {id})")));
                        }
                        _ => parts.push((label.to_owned(), name.to_owned())),
                    }
                }
            }
            "ref" => parts.push(github_ref(value)),
            "pull_request" => parts.push(("event".to_owned(), "pull_request".to_owned())),
            other => parts.push((other.replace('_', " "), value.clone())),
        }
    }
    let standard_context = matches!(
        names
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["repo", "ref" | "environment" | "pull_request"]
    );
    let form = match (standard_context, immutable) {
        (true, true) => "immutable",
        (true, false) => "classic",
        (false, _) => "custom template",
    };
    SubjectForm::new(form, names, parts)
}

fn github_ref(value: &str) -> (String, String) {
    if let Some(branch) = value.strip_prefix("refs/heads/") {
        ("branch".to_owned(), branch.to_owned())
    } else if let Some(tag) = value.strip_prefix("refs/tags/") {
        ("tag".to_owned(), tag.to_owned())
    } else {
        ("ref".to_owned(), value.to_owned())
    }
}

fn bitbucket(sub: &str) -> SubjectForm {
    let pieces: Vec<&str> = sub.split(':').collect();
    let braced = pieces
        .iter()
        .all(|p| p.len() > 2 && p.starts_with('{') && p.ends_with('}'));
    let labels: &[&str] = match (braced, pieces.len()) {
        (true, 2) => &["repository", "step"],
        (true, 3) => &["repository", "environment", "step"],
        _ => return SubjectForm::unrecognised(),
    };
    let parts = labels
        .iter()
        .zip(&pieces)
        .map(|(label, value)| ((*label).to_owned(), (*value).to_owned()))
        .collect();
    let form = if pieces.len() == 3 {
        "deployment"
    } else {
        "default"
    };
    SubjectForm::new(form, Vec::new(), parts)
}

fn kubernetes(sub: &str) -> SubjectForm {
    match sub
        .strip_prefix("system:serviceaccount:")
        .map(|rest| rest.split_once(':'))
    {
        Some(Some((namespace, account))) if !namespace.is_empty() && !account.is_empty() => {
            SubjectForm::new(
                "service account",
                Vec::new(),
                vec![
                    ("namespace".to_owned(), namespace.to_owned()),
                    ("service account".to_owned(), account.to_owned()),
                ],
            )
        }
        _ => SubjectForm::unrecognised(),
    }
}

/// Where the owner segment of a value starts, and the characters that end it.
fn owner_bounds(grammar: SubGrammar) -> Option<(&'static str, &'static [char])> {
    match grammar {
        SubGrammar::GitHub => Some(("repo:", &['/', ':'])),
        SubGrammar::GitLab => Some(("project_path:", &['/', ':'])),
        SubGrammar::Terraform | SubGrammar::Buildkite => Some(("organization:", &[':'])),
        SubGrammar::Kubernetes => Some(("system:serviceaccount:", &[':'])),
        SubGrammar::CircleCi => Some(("org/", &['/'])),
        _ => None,
    }
}

/// The owner segment of a value (`acme` of `repo:acme/app:*`), as written,
/// with the byte range it occupies.
pub fn owner_segment(grammar: SubGrammar, value: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let (prefix, ends) = owner_bounds(grammar)?;
    let rest = value.strip_prefix(prefix)?;
    let end = rest.find(ends).unwrap_or(rest.len());
    Some((&rest[..end], prefix.len()..prefix.len() + end))
}

/// The owner (group, organization, namespace) a value names, as written:
/// `acme` of `repo:acme/app:ref:refs/heads/main`.
pub fn owner_of(grammar: SubGrammar, value: &str) -> Option<&str> {
    owner_segment(grammar, value).map(|(owner, _)| owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_forms() {
        let classic = describe(SubGrammar::GitHub, "repo:acme/app:ref:refs/heads/main");
        assert_eq!(classic.form, "classic");
        assert_eq!(
            classic.parts_text(),
            "owner acme, repository app, branch main"
        );

        let immutable = describe(SubGrammar::GitHub, "repo:acme@12/app@34:environment:prod");
        assert_eq!(immutable.form, "immutable");
        assert_eq!(
            immutable.parts_text(),
            "owner acme (id 12), repository app (id 34), environment prod"
        );

        let pr = describe(SubGrammar::GitHub, "repo:acme/app:pull_request");
        assert_eq!(
            (pr.form, pr.parts_text().as_str()),
            ("classic", "owner acme, repository app, event pull_request")
        );

        let custom = describe(
            SubGrammar::GitHub,
            "repo:acme/app:environment:prod:job_workflow_ref:acme/ci/.github/workflows/d.yml@refs/heads/main",
        );
        assert_eq!(custom.form, "custom template");
        assert_eq!(custom.keys, ["repo", "environment", "job_workflow_ref"]);

        let owner_only = describe(SubGrammar::GitHub, "repository_owner:acme");
        assert_eq!(owner_only.form, "custom template");
        assert_eq!(owner_only.parts_text(), "repository owner acme");

        assert_eq!(
            describe(SubGrammar::GitHub, "user-42").form,
            "not recognised"
        );
    }

    #[test]
    fn other_grammars() {
        let gitlab = describe(
            SubGrammar::GitLab,
            "project_path:acme/sub/app:ref_type:branch:ref:main",
        );
        assert_eq!(gitlab.form, "default");
        assert_eq!(
            gitlab.parts_text(),
            "project path acme/sub/app, ref type branch, ref main"
        );

        let tfc = describe(
            SubGrammar::Terraform,
            "organization:acme:project:Default Project:workspace:prod:run_phase:apply",
        );
        assert_eq!(tfc.form, "default");
        let old = describe(
            SubGrammar::Terraform,
            "organization:acme:workspace:prod:run_phase:plan",
        );
        assert_eq!(old.form, "older form without project");

        let circle = describe(
            SubGrammar::CircleCi,
            "org/o1/project/p1/user/u1/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main",
        );
        assert_eq!(circle.form, "v2 (with VCS origin and ref)");
        assert!(
            circle
                .parts_text()
                .contains("vcs origin github.com/acme/app")
        );

        let bb = describe(SubGrammar::Bitbucket, "{a-b}:{c-d}");
        assert_eq!(bb.parts_text(), "repository {a-b}, step {c-d}");
        assert_eq!(
            describe(SubGrammar::Bitbucket, "a:b").form,
            "not recognised"
        );

        let k8s = describe(SubGrammar::Kubernetes, "system:serviceaccount:payments:api");
        assert_eq!(k8s.parts_text(), "namespace payments, service account api");
        assert_eq!(
            describe(SubGrammar::Kubernetes, "system:serviceaccounts:x").form,
            "not recognised"
        );
    }

    #[test]
    fn segments_keep_colons_inside_values() {
        let s = segments("a:x:y:b:z", ':', &["a", "b"]).expect("segments");
        assert_eq!(
            s,
            vec![("a".into(), "x:y".into()), ("b".into(), "z".into())]
        );
        assert!(segments("x:a:1", ':', &["a"]).is_none());
        // A key directly after a key with no value is taken as that value.
        let s = segments("ref:ref:main", ':', &["ref"]).expect("segments");
        assert_eq!(s, vec![("ref".into(), "ref:main".into())]);
    }
}
