//! The trust policy a caller needs: a described caller (or a token's
//! claims) and the provider make one least-privilege statement that pins
//! `aud` and `sub`, rendered as policy JSON, a Terraform
//! `aws_iam_policy_document` with its role, or a `CloudFormation` role.
//! Pure: no I/O; the caller's family comes from [`crate::model::issuers`].

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::model::issuers;

/// Who will assume the role, as the issuer names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// GitHub Actions: `repo:<owner>/<repo>:<context>`, and with the
    /// immutable ids, `repository_owner_id` and `repository_id` pinned too.
    GitHub {
        repository: String,
        ids: Option<(String, String)>,
        context: GitHubContext,
    },
    /// GitLab (gitlab.com, or a self-managed `issuer`):
    /// `project_path:<path>:ref_type:<type>:ref:<ref>`, and the
    /// `environment` claim when one is named.
    GitLab {
        issuer: String,
        project: String,
        ref_type: RefType,
        git_ref: String,
        environment: Option<String>,
    },
    /// HCP Terraform (or Terraform Enterprise at `issuer`): one subject per
    /// run phase.
    Terraform {
        issuer: String,
        organization: String,
        project: String,
        workspace: String,
        phases: Vec<String>,
    },
    /// Buildkite: `organization:<org>:pipeline:<pipeline>:ref:<ref>:commit:<sha>:step:<step>`,
    /// pinned to one branch or tag with any commit and step.
    Buildkite {
        organization: String,
        pipeline: String,
        git_ref: BuildkiteRef,
    },
    /// `CircleCI`: the organization's own issuer, whose audience is the
    /// organization id; `org/<org>/project/<project>/user/<user>`, any user.
    CircleCi {
        organization: String,
        project: String,
    },
    /// Bitbucket Pipelines: the workspace's own issuer;
    /// `{<repository>}:{<step>}`, or `{<repository>}:{<environment>}:{<step>}`
    /// for deployment steps, any step (UUIDs, braces included).
    Bitbucket {
        workspace: String,
        /// The audience's workspace UUID (`ari:cloud:bitbucket::workspace/<uuid>`).
        workspace_uuid: Option<String>,
        repository: String,
        environment: Option<String>,
    },
    /// A Kubernetes service account of an EKS cluster's issuer.
    Kubernetes {
        issuer: String,
        namespace: String,
        name: String,
    },
    /// Exactly the token's `iss`, `sub` and audience.
    Token {
        issuer: String,
        subject: String,
        audience: Option<String>,
    },
}

/// The part of a GitHub `sub` after the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitHubContext {
    Branch(String),
    Tag(String),
    Environment(String),
    PullRequest,
}

/// The ref of a Buildkite build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildkiteRef {
    Branch(String),
    Tag(String),
}

/// Any one step UUID, braces included: `?` stands for one character, so
/// no further `:{...}` segment (a deployment environment) can hide in it.
const ANY_STEP: &str = "{????????-????-????-????-????????????}";

/// Buildkite's per-build part of `sub`: any commit and step.
const ANY_BUILDKITE_RUN: &str = ":commit:*:step:*";

/// `CircleCI`'s per-run part of `sub`: any user who triggered it.
const ANY_CIRCLECI_USER: &str = "/user/*";

/// A token's `sub` with the part that changes on every run made a pattern,
/// as the described caller writes it (Buildkite's commit and step,
/// `CircleCI`'s user, Bitbucket's step UUID); any other `sub` as it is.
pub fn per_run_pattern(family_id: &str, sub: &str) -> String {
    match family_id {
        "buildkite" => match sub.find(":commit:") {
            Some(at) => format!("{}{ANY_BUILDKITE_RUN}", &sub[..at]),
            None => sub.to_owned(),
        },
        "circleci" => match sub.find("/user/") {
            Some(at) => format!("{}{ANY_CIRCLECI_USER}", &sub[..at]),
            None => sub.to_owned(),
        },
        "bitbucket" => match sub.rsplit_once(':') {
            Some((head, step)) if step.starts_with('{') && step.ends_with('}') => {
                format!("{head}:{ANY_STEP}")
            }
            _ => sub.to_owned(),
        },
        _ => sub.to_owned(),
    }
}

/// GitLab's `ref_type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefType {
    Branch,
    Tag,
}

/// One condition the statement sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// `StringEquals`, or `StringLike` for a pattern asked for.
    pub test: &'static str,
    /// The condition key, `<provider name>:<claim>`.
    pub variable: String,
    pub values: Vec<String>,
}

/// What the written policy says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustSpec {
    /// The IAM provider name: the issuer URL without `https://`.
    pub provider: String,
    pub pins: Vec<Pin>,
}

impl Caller {
    /// The issuer URL of the caller's tokens.
    pub fn issuer(&self) -> String {
        match self {
            Caller::GitHub { .. } => "https://token.actions.githubusercontent.com".to_owned(),
            Caller::Buildkite { .. } => "https://agent.buildkite.com".to_owned(),
            Caller::CircleCi { organization, .. } => {
                format!("https://oidc.circleci.com/org/{organization}")
            }
            Caller::Bitbucket { workspace, .. } => format!(
                "https://api.bitbucket.org/2.0/workspaces/{workspace}/pipelines-config/identity/oidc"
            ),
            Caller::GitLab { issuer, .. }
            | Caller::Terraform { issuer, .. }
            | Caller::Kubernetes { issuer, .. }
            | Caller::Token { issuer, .. } => issuer.clone(),
        }
    }

    /// The `sub` values the caller's tokens carry (a pattern where one was asked for).
    pub fn subjects(&self) -> Vec<String> {
        match self {
            Caller::GitHub {
                repository,
                context,
                ..
            } => {
                let context = match context {
                    GitHubContext::Branch(branch) => format!("ref:refs/heads/{branch}"),
                    GitHubContext::Tag(tag) => format!("ref:refs/tags/{tag}"),
                    GitHubContext::Environment(name) => format!("environment:{name}"),
                    GitHubContext::PullRequest => "pull_request".to_owned(),
                };
                vec![format!("repo:{repository}:{context}")]
            }
            Caller::GitLab {
                project,
                ref_type,
                git_ref,
                ..
            } => {
                let kind = match ref_type {
                    RefType::Branch => "branch",
                    RefType::Tag => "tag",
                };
                vec![format!("project_path:{project}:ref_type:{kind}:ref:{git_ref}")]
            }
            Caller::Terraform {
                organization,
                project,
                workspace,
                phases,
                ..
            } => phases
                .iter()
                .map(|phase| {
                    format!(
                        "organization:{organization}:project:{project}:workspace:{workspace}:run_phase:{phase}"
                    )
                })
                .collect(),
            Caller::Buildkite {
                organization,
                pipeline,
                git_ref,
            } => {
                let git_ref = match git_ref {
                    BuildkiteRef::Branch(branch) => format!("refs/heads/{branch}"),
                    BuildkiteRef::Tag(tag) => format!("refs/tags/{tag}"),
                };
                vec![format!(
                    "organization:{organization}:pipeline:{pipeline}:ref:{git_ref}{ANY_BUILDKITE_RUN}"
                )]
            }
            Caller::CircleCi {
                organization,
                project,
            } => vec![format!("org/{organization}/project/{project}{ANY_CIRCLECI_USER}")],
            Caller::Bitbucket {
                repository,
                environment,
                ..
            } => vec![match environment {
                Some(environment) => format!("{{{repository}}}:{{{environment}}}:{ANY_STEP}"),
                None => format!("{{{repository}}}:{ANY_STEP}"),
            }],
            Caller::Kubernetes {
                namespace, name, ..
            } => vec![format!("system:serviceaccount:{namespace}:{name}")],
            Caller::Token { subject, .. } => vec![subject.clone()],
        }
    }

    /// The conditions beyond `aud` and `sub`.
    fn extra_claims(&self) -> Vec<(&'static str, String)> {
        match self {
            Caller::GitHub {
                ids: Some((owner, repository)),
                ..
            } => vec![
                ("repository_owner_id", owner.clone()),
                ("repository_id", repository.clone()),
            ],
            Caller::GitLab {
                environment: Some(environment),
                ..
            } => vec![("environment", environment.clone())],
            _ => Vec::new(),
        }
    }

    /// The audience to pin: the one asked for, the token's, else the
    /// first the family's usual clients request.
    pub fn audience(&self, asked: Option<&str>) -> Option<String> {
        if let Some(asked) = asked {
            return Some(asked.to_owned());
        }
        match self {
            Caller::Token {
                audience: Some(audience),
                ..
            } => return Some(audience.clone()),
            // CircleCI's tokens carry the organization id as their audience.
            Caller::CircleCi { organization, .. } => return Some(organization.clone()),
            Caller::Bitbucket { workspace_uuid, .. } => {
                return workspace_uuid
                    .as_ref()
                    .map(|uuid| format!("ari:cloud:bitbucket::workspace/{uuid}"));
            }
            _ => {}
        }
        issuers::detect(&self.issuer(), self.subjects().first().map(String::as_str))
            .usual_audiences
            .first()
            .map(|aud| (*aud).to_owned())
    }

    /// What the policy pins; `None` when no audience is known (give one).
    pub fn spec(&self, audience: Option<&str>) -> Option<TrustSpec> {
        let provider = issuers::provider_name(&self.issuer()).to_owned();
        let key = |claim: &str| format!("{provider}:{claim}");
        let audience = self.audience(audience)?;
        let subjects = self.subjects();
        let pattern = subjects.iter().any(|s| s.contains(['*', '?']));
        let mut pins = vec![
            Pin {
                test: "StringEquals",
                variable: key("aud"),
                values: vec![audience],
            },
            Pin {
                test: if pattern {
                    "StringLike"
                } else {
                    "StringEquals"
                },
                variable: key("sub"),
                values: subjects,
            },
        ];
        pins.extend(self.extra_claims().into_iter().map(|(claim, value)| Pin {
            test: "StringEquals",
            variable: key(claim),
            values: vec![value],
        }));
        Some(TrustSpec { provider, pins })
    }
}

impl TrustSpec {
    /// The trust policy document for `provider_arn`.
    pub fn policy(&self, provider_arn: &str) -> Value {
        let mut condition = Map::new();
        for pin in &self.pins {
            let block = condition
                .entry(pin.test)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(block) = block {
                let values = match pin.values.as_slice() {
                    [one] => Value::String(one.clone()),
                    many => Value::from(many.to_vec()),
                };
                block.insert(pin.variable.clone(), values);
            }
        }
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }]
        })
    }
}

/// The provider ARN of `provider` (a name) in `account`.
pub fn provider_arn(partition: &str, account: &str, provider: &str) -> String {
    format!("arn:{partition}:iam::{account}:oidc-provider/{provider}")
}

/// A Terraform string literal: JSON escapes, and `${`/`%{` kept literal.
fn hcl_string(text: &str) -> String {
    Value::String(text.to_owned())
        .to_string()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn hcl_list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| hcl_string(v)).collect();
    format!("[{}]", items.join(", "))
}

/// A `data "aws_iam_policy_document"` block and the `aws_iam_role` that uses it.
pub fn terraform(spec: &TrustSpec, provider_arn: &str, role_name: &str) -> String {
    let mut out = String::from("data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n");
    out.push_str("    effect  = \"Allow\"\n    actions = [\"sts:AssumeRoleWithWebIdentity\"]\n\n");
    out.push_str("    principals {\n      type        = \"Federated\"\n");
    let _ = writeln!(
        out,
        "      identifiers = [{}]\n    }}",
        hcl_string(provider_arn)
    );
    for pin in &spec.pins {
        let _ = write!(
            out,
            "\n    condition {{\n      test     = {}\n      variable = {}\n      values   = {}\n    }}\n",
            hcl_string(pin.test),
            hcl_string(&pin.variable),
            hcl_list(&pin.values)
        );
    }
    out.push_str("  }\n}\n\nresource \"aws_iam_role\" \"this\" {\n");
    let _ = writeln!(out, "  name               = {}", hcl_string(role_name));
    out.push_str("  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n");
    out
}

/// A `CloudFormation` template (YAML) with one `AWS::IAM::Role`.
pub fn cloudformation(spec: &TrustSpec, provider_arn: &str, role_name: &str) -> String {
    let mut out = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n",
    );
    let _ = writeln!(out, "      RoleName: {}", yaml_scalar(role_name));
    out.push_str("      AssumeRolePolicyDocument:\n");
    yaml_block(&spec.policy(provider_arn), 8, &mut out);
    out
}

/// A YAML scalar: double-quoted the JSON way (valid YAML), so no value
/// can be read as another type or break the layout.
fn yaml_scalar(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// Block-style YAML of a JSON object, indented by `indent` spaces.
fn yaml_block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        let _ = writeln!(out, "{pad}{}:", yaml_scalar(key));
                        yaml_block(item, indent + 2, out);
                    }
                    scalar => {
                        let _ = writeln!(out, "{pad}{}: {}", yaml_scalar(key), scalar_text(scalar));
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) => {
                        let mut nested = String::new();
                        yaml_block(item, indent + 2, &mut nested);
                        // The first key goes on the dash's line.
                        let _ = write!(out, "{pad}- {}", nested.trim_start());
                    }
                    scalar => {
                        let _ = writeln!(out, "{pad}- {}", scalar_text(scalar));
                    }
                }
            }
        }
        scalar => {
            let _ = writeln!(out, "{pad}{}", scalar_text(scalar));
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => yaml_scalar(text),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokens_per_run_part_becomes_the_pattern_the_described_caller_writes() {
        assert_eq!(
            per_run_pattern(
                "buildkite",
                "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:abc123:step:deploy"
            ),
            "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:*:step:*"
        );
        assert_eq!(
            per_run_pattern("circleci", "org/o-1/project/p-2/user/u-3/vcs-origin/x"),
            "org/o-1/project/p-2/user/*"
        );
        assert_eq!(
            per_run_pattern("bitbucket", "{r-1}:{e-2}:{s-3}"),
            format!("{{r-1}}:{{e-2}}:{ANY_STEP}")
        );
        assert_eq!(
            per_run_pattern("github", "repo:acme/app:ref:refs/heads/main"),
            "repo:acme/app:ref:refs/heads/main"
        );
    }

    #[test]
    fn github_branch_pins_aud_and_sub_exactly() {
        let caller = Caller::GitHub {
            repository: "acme/app".to_owned(),
            ids: None,
            context: GitHubContext::Branch("main".to_owned()),
        };
        let spec = caller.spec(None).unwrap();
        let policy = spec
            .policy("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com");
        assert_eq!(
            policy["Statement"][0]["Condition"]["StringEquals"],
            json!({
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"
            })
        );
    }

    #[test]
    fn hcl_strings_keep_template_markers_literal() {
        assert_eq!(hcl_string("a${b}%{c}\""), r#""a$${b}%%{c}\"""#);
    }
}
