//! The one place that knows the issuers: how to recognise each family from
//! its provider name, whether anyone can obtain its tokens, which claim
//! carries the tenancy, its `sub` grammar, its usual audiences and the extra
//! condition keys STS supports for it. Rules consult this table; adding an
//! issuer is a new entry here plus fixtures.

/// Who can obtain a token from an issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// Anyone can get a token (GitHub, gitlab.com, HCP Terraform, Google...).
    Shared,
    /// One enterprise or organisation, with many owners inside it.
    Enterprise,
    /// One organisation, workspace, cluster or tenant.
    SingleTenant,
}

impl Tenancy {
    pub fn describe(self) -> &'static str {
        match self {
            Tenancy::Shared => "shared issuer: anyone can obtain its tokens",
            Tenancy::Enterprise => "enterprise issuer: tokens of one enterprise's organisations",
            Tenancy::SingleTenant => "single-tenant issuer",
        }
    }
}

/// How a family's `sub` claim is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubGrammar {
    /// `repo:<owner>/<repo>:<context>`, or a custom claim template.
    GitHub,
    /// `project_path:<group>/<project>:ref_type:<type>:ref:<ref>`.
    GitLab,
    /// `organization:<org>:project:<project>:workspace:<ws>:run_phase:<phase>`.
    Terraform,
    /// `organization:<org>:pipeline:<pipeline>:ref:<ref>:commit:<sha>:step:<step>`.
    Buildkite,
    /// `org/<org-id>/project/<project-id>/user/<user-id>[/vcs-origin/...]`.
    CircleCi,
    /// `{<repo-uuid>}:{<step-uuid>}` or `{<repo-uuid>}:{<env-uuid>}:{<step-uuid>}`.
    Bitbucket,
    /// `system:serviceaccount:<namespace>:<name>`.
    Kubernetes,
    /// An opaque user or identity identifier.
    UserId,
}

/// How an issuer is recognised from its provider name (`iss` without `https://`).
#[derive(Debug, Clone, Copy)]
pub enum IssuerPattern {
    Exact(&'static str),
    /// `<prefix><one or more non-empty segments>`.
    Prefix(&'static str),
    Suffix(&'static str),
    /// `<prefix><region>.amazonaws.com/id/<id>`-style names: prefix and an inner marker.
    PrefixAndContains(&'static str, &'static str),
}

impl IssuerPattern {
    fn matches(self, name: &str) -> bool {
        match self {
            IssuerPattern::Exact(exact) => name == exact,
            IssuerPattern::Prefix(prefix) => name.len() > prefix.len() && name.starts_with(prefix),
            IssuerPattern::Suffix(suffix) => name.len() > suffix.len() && name.ends_with(suffix),
            IssuerPattern::PrefixAndContains(prefix, marker) => {
                // One path-free segment between prefix and marker, and the
                // marker ends the host (or the name): `token.actions.evil.example/x.ghe.com`
                // and `token.actions.x.ghe.com.evil.example` are not GitHub.
                let Some(rest) = name.strip_prefix(prefix) else {
                    return false;
                };
                let Some(at) = rest.find(marker) else {
                    return false;
                };
                let (between, after) = (&rest[..at], &rest[at + marker.len()..]);
                !between.is_empty()
                    && !between.contains('/')
                    && (marker.ends_with('/') || after.is_empty() || after.starts_with('/'))
            }
        }
    }
}

/// One issuer family.
#[derive(Debug)]
pub struct IssuerFamily {
    pub id: &'static str,
    pub name: &'static str,
    pub patterns: &'static [IssuerPattern],
    /// The hosts its issuers live on, for the look-alike check (TK015); a
    /// `*` label stands for any one label (a region, a tenant, a slug).
    /// Empty when the issuer can be on any host (GitHub Enterprise Server).
    pub hosts: &'static [&'static str],
    pub tenancy: Tenancy,
    /// The claim that says whose token it is (the one a policy must pin).
    pub tenancy_claim: &'static str,
    pub sub_grammar: SubGrammar,
    /// Audiences the usual AWS clients request.
    pub usual_audiences: &'static [&'static str],
    /// Claim keys STS supports for this issuer beyond aud, sub, amr, oaud, email.
    pub extra_condition_keys: &'static [&'static str],
    /// A built-in principal (no IAM OIDC provider ARN).
    pub builtin: bool,
}

/// The values most families share; each entry states what differs.
const BASE: IssuerFamily = IssuerFamily {
    id: "",
    name: "",
    patterns: &[],
    hosts: &[],
    tenancy: Tenancy::SingleTenant,
    tenancy_claim: "sub",
    sub_grammar: SubGrammar::UserId,
    usual_audiences: &[],
    extra_condition_keys: &[],
    builtin: false,
};

const GITHUB_KEYS: &[&str] = &[
    "actor",
    "actor_id",
    "job_workflow_ref",
    "repository",
    "repository_id",
    "repository_owner_id",
    "workflow",
    "ref",
    "environment",
    "enterprise_id",
    "runner_environment",
];
const STS_AUDIENCES: &[&str] = &["sts.amazonaws.com", "sts.amazonaws.com.cn"];

/// The table. Order matters: the first family whose pattern matches wins, so
/// specific patterns come before general ones.
pub static FAMILIES: &[IssuerFamily] = &[
    IssuerFamily {
        id: "github",
        name: "GitHub Actions",
        patterns: &[IssuerPattern::Exact("token.actions.githubusercontent.com")],
        hosts: &["token.actions.githubusercontent.com"],
        tenancy: Tenancy::Shared,
        sub_grammar: SubGrammar::GitHub,
        usual_audiences: STS_AUDIENCES,
        extra_condition_keys: GITHUB_KEYS,
        ..BASE
    },
    IssuerFamily {
        id: "github-enterprise",
        name: "GitHub Actions (enterprise issuer)",
        patterns: &[
            IssuerPattern::Prefix("token.actions.githubusercontent.com/"),
            IssuerPattern::PrefixAndContains("token.actions.", ".ghe.com"),
        ],
        // The slugged issuers share GitHub's host, listed above.
        hosts: &["token.actions.*.ghe.com"],
        tenancy: Tenancy::Enterprise,
        sub_grammar: SubGrammar::GitHub,
        usual_audiences: STS_AUDIENCES,
        extra_condition_keys: GITHUB_KEYS,
        ..BASE
    },
    IssuerFamily {
        id: "github-legacy",
        name: "GitHub Actions (legacy vstoken issuer)",
        patterns: &[IssuerPattern::Exact(
            "vstoken.actions.githubusercontent.com",
        )],
        hosts: &["vstoken.actions.githubusercontent.com"],
        tenancy: Tenancy::Shared,
        sub_grammar: SubGrammar::GitHub,
        usual_audiences: &["sigstore"],
        ..BASE
    },
    IssuerFamily {
        id: "ghes",
        name: "GitHub Enterprise Server",
        patterns: &[IssuerPattern::Suffix("/_services/token")],
        tenancy: Tenancy::Enterprise,
        sub_grammar: SubGrammar::GitHub,
        usual_audiences: STS_AUDIENCES,
        ..BASE
    },
    IssuerFamily {
        id: "gitlab",
        name: "GitLab (gitlab.com)",
        patterns: &[IssuerPattern::Exact("gitlab.com")],
        hosts: &["gitlab.com"],
        tenancy: Tenancy::Shared,
        sub_grammar: SubGrammar::GitLab,
        usual_audiences: &["sts.amazonaws.com", "https://gitlab.com"],
        extra_condition_keys: &[
            "project_id",
            "namespace_id",
            "namespace_path",
            "project_path",
            "ref",
            "ref_type",
            "ref_protected",
            "pipeline_source",
            "environment",
        ],
        ..BASE
    },
    IssuerFamily {
        id: "terraform-cloud",
        name: "HCP Terraform",
        patterns: &[IssuerPattern::Exact("app.terraform.io")],
        hosts: &["app.terraform.io"],
        tenancy: Tenancy::Shared,
        sub_grammar: SubGrammar::Terraform,
        usual_audiences: &["aws.workload.identity"],
        ..BASE
    },
    IssuerFamily {
        id: "buildkite",
        name: "Buildkite",
        patterns: &[IssuerPattern::Exact("agent.buildkite.com")],
        hosts: &["agent.buildkite.com"],
        tenancy: Tenancy::Shared,
        sub_grammar: SubGrammar::Buildkite,
        usual_audiences: &["sts.amazonaws.com"],
        ..BASE
    },
    IssuerFamily {
        id: "circleci",
        name: "CircleCI",
        patterns: &[IssuerPattern::Prefix("oidc.circleci.com/org/")],
        hosts: &["oidc.circleci.com"],
        sub_grammar: SubGrammar::CircleCi,
        extra_condition_keys: &[
            "oidc.circleci.com/project-id",
            "oidc.circleci.com/context-ids",
            "oidc.circleci.com/vcs-origin",
            "oidc.circleci.com/vcs-ref",
        ],
        ..BASE
    },
    IssuerFamily {
        id: "bitbucket",
        name: "Bitbucket Pipelines",
        patterns: &[IssuerPattern::PrefixAndContains(
            "api.bitbucket.org/2.0/workspaces/",
            "/pipelines-config/identity/oidc",
        )],
        hosts: &["api.bitbucket.org"],
        sub_grammar: SubGrammar::Bitbucket,
        ..BASE
    },
    IssuerFamily {
        id: "eks",
        name: "Amazon EKS (IRSA)",
        patterns: &[IssuerPattern::PrefixAndContains(
            "oidc.eks.",
            ".amazonaws.com/id/",
        )],
        hosts: &["oidc.eks.*.amazonaws.com"],
        sub_grammar: SubGrammar::Kubernetes,
        usual_audiences: &["sts.amazonaws.com"],
        ..BASE
    },
    IssuerFamily {
        id: "google",
        name: "Google",
        patterns: &[IssuerPattern::Exact("accounts.google.com")],
        hosts: &["accounts.google.com"],
        tenancy: Tenancy::Shared,
        tenancy_claim: "aud",
        builtin: true,
        ..BASE
    },
    IssuerFamily {
        id: "cognito",
        name: "Amazon Cognito identity pools",
        patterns: &[IssuerPattern::Exact("cognito-identity.amazonaws.com")],
        hosts: &["cognito-identity.amazonaws.com"],
        tenancy: Tenancy::Shared,
        tenancy_claim: "aud",
        builtin: true,
        ..BASE
    },
    IssuerFamily {
        id: "auth0",
        name: "Auth0",
        patterns: &[
            IssuerPattern::Suffix(".auth0.com/"),
            IssuerPattern::Suffix(".auth0.com"),
        ],
        hosts: &["*.auth0.com", "*.*.auth0.com"],
        ..BASE
    },
    IssuerFamily {
        id: "codefresh",
        name: "Codefresh",
        patterns: &[IssuerPattern::Exact("oidc.codefresh.io")],
        hosts: &["oidc.codefresh.io"],
        tenancy: Tenancy::Shared,
        ..BASE
    },
    IssuerFamily {
        id: "vercel",
        name: "Vercel",
        patterns: &[
            IssuerPattern::Exact("oidc.vercel.com"),
            IssuerPattern::Prefix("oidc.vercel.com/"),
        ],
        hosts: &["oidc.vercel.com"],
        tenancy: Tenancy::Shared,
        tenancy_claim: "aud",
        ..BASE
    },
    IssuerFamily {
        id: "pulumi",
        name: "Pulumi Cloud",
        patterns: &[IssuerPattern::Exact("api.pulumi.com/oidc")],
        hosts: &["api.pulumi.com"],
        tenancy: Tenancy::Shared,
        tenancy_claim: "aud",
        ..BASE
    },
    IssuerFamily {
        id: "scalr",
        name: "Scalr",
        patterns: &[IssuerPattern::Exact("scalr.io")],
        hosts: &["scalr.io"],
        tenancy: Tenancy::Shared,
        ..BASE
    },
    IssuerFamily {
        id: "facebook",
        name: "Facebook",
        patterns: &[IssuerPattern::Exact("graph.facebook.com")],
        hosts: &["graph.facebook.com"],
        tenancy: Tenancy::Shared,
        tenancy_claim: "app_id",
        extra_condition_keys: &["app_id", "id"],
        builtin: true,
        ..BASE
    },
    IssuerFamily {
        id: "amazon",
        name: "Login with Amazon",
        patterns: &[IssuerPattern::Exact("www.amazon.com")],
        hosts: &["www.amazon.com"],
        tenancy: Tenancy::Shared,
        tenancy_claim: "app_id",
        extra_condition_keys: &["app_id", "user_id"],
        builtin: true,
        ..BASE
    },
];

/// Families recognised from the `sub` claim when the issuer itself is a
/// private host (self-managed GitLab, Terraform Enterprise, any Kubernetes).
static BY_SUBJECT: &[(&str, IssuerFamily)] = &[
    (
        "project_path:",
        IssuerFamily {
            id: "gitlab-self-managed",
            name: "GitLab (self-managed)",
            sub_grammar: SubGrammar::GitLab,
            ..BASE
        },
    ),
    (
        "organization:",
        IssuerFamily {
            id: "terraform-enterprise",
            name: "Terraform Enterprise",
            sub_grammar: SubGrammar::Terraform,
            usual_audiences: &["aws.workload.identity"],
            ..BASE
        },
    ),
    (
        "system:serviceaccount:",
        IssuerFamily {
            id: "kubernetes",
            name: "Kubernetes service account",
            sub_grammar: SubGrammar::Kubernetes,
            usual_audiences: &["sts.amazonaws.com"],
            ..BASE
        },
    ),
];

/// Any other issuer.
pub static OTHER: IssuerFamily = IssuerFamily {
    id: "other",
    name: "other issuer",
    ..BASE
};

/// Every known issuer host pattern with its family, in table order.
pub fn known_hosts() -> impl Iterator<Item = (&'static IssuerFamily, &'static str)> {
    FAMILIES
        .iter()
        .flat_map(|family| family.hosts.iter().map(move |host| (family, *host)))
}

/// The provider name IAM uses for an issuer: the URL without `https://`.
pub fn provider_name(iss: &str) -> &str {
    iss.strip_prefix("https://").unwrap_or(iss)
}

/// The family of a provider name (from a principal ARN or a condition key prefix).
pub fn family_of_provider(name: &str) -> Option<&'static IssuerFamily> {
    FAMILIES
        .iter()
        .find(|family| family.patterns.iter().any(|p| p.matches(name)))
}

/// The family of a token from its `iss`, falling back to the `sub` form for
/// private hosts.
pub fn detect(iss: &str, sub: Option<&str>) -> &'static IssuerFamily {
    family_of_provider(provider_name(iss))
        .or_else(|| family_of_subject(sub?))
        .unwrap_or(&OTHER)
}

/// The self-managed family whose `sub` grammar `sub` is written in
/// (`project_path:`, `organization:`, `system:serviceaccount:`), for an
/// issuer that is not known.
pub fn family_of_subject(sub: &str) -> Option<&'static IssuerFamily> {
    BY_SUBJECT
        .iter()
        .find(|(prefix, _)| sub.starts_with(prefix))
        .map(|(_, family)| family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_family_from_its_issuer() {
        let cases = [
            ("https://token.actions.githubusercontent.com", "github"),
            (
                "https://token.actions.githubusercontent.com/acme",
                "github-enterprise",
            ),
            ("https://token.actions.octo.ghe.com", "github-enterprise"),
            (
                "https://vstoken.actions.githubusercontent.com",
                "github-legacy",
            ),
            ("https://github.example.com/_services/token", "ghes"),
            ("https://gitlab.com", "gitlab"),
            ("https://app.terraform.io", "terraform-cloud"),
            ("https://agent.buildkite.com", "buildkite"),
            ("https://oidc.circleci.com/org/1234", "circleci"),
            (
                "https://api.bitbucket.org/2.0/workspaces/acme/pipelines-config/identity/oidc",
                "bitbucket",
            ),
            ("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "eks"),
            ("https://accounts.google.com", "google"),
            ("https://cognito-identity.amazonaws.com", "cognito"),
            ("https://acme.us.auth0.com/", "auth0"),
            ("https://idp.example.com", "other"),
        ];
        for (iss, id) in cases {
            assert_eq!(detect(iss, None).id, id, "{iss}");
        }
    }

    #[test]
    fn falls_back_to_the_subject_form_for_private_hosts() {
        let gitlab = detect(
            "https://git.acme.internal",
            Some("project_path:a/b:ref_type:branch:ref:main"),
        );
        assert_eq!(gitlab.id, "gitlab-self-managed");
        let k8s = detect(
            "https://s3.amazonaws.com/bucket",
            Some("system:serviceaccount:ns:sa"),
        );
        assert_eq!(k8s.id, "kubernetes");
        // The issuer wins over the subject.
        assert_eq!(
            detect("https://gitlab.com", Some("system:serviceaccount:a:b")).id,
            "gitlab"
        );
    }

    #[test]
    fn markers_are_anchored_to_the_host() {
        for fake in [
            "https://token.actions.evil.example/x.ghe.com",
            "https://token.actions.x.ghe.com.evil.example",
            "https://oidc.eks.evil.example/x.amazonaws.com/id/1",
            "https://api.bitbucket.org/2.0/workspaces/a/b/pipelines-config/identity/oidc",
        ] {
            assert_eq!(detect(fake, None).id, "other", "{fake}");
        }
        assert_eq!(
            detect("https://token.actions.octo.ghe.com/slug", None).id,
            "github-enterprise"
        );
    }

    #[test]
    fn a_prefix_pattern_needs_something_after_the_prefix() {
        assert!(family_of_provider("oidc.circleci.com/org/").is_none());
        assert!(family_of_provider("token.actions.githubusercontent.com/").is_none());
    }
}
