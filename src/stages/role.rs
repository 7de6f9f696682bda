//! The role as IAM holds it (`iam:GetRole`): its real ARN and path, its
//! maximum session duration and its trust policy, against the ARN and the
//! duration the caller asks for (PV006, PV007).

use std::time::Instant;

use crate::model::arn::Arn;
use crate::model::aws::IamRole;
use crate::net::aws::IamSession;
use crate::rules;

use super::{Progress, Stage, StageStatus, Staged};

/// The role as read, or why it was not.
#[derive(Debug, Default, Clone)]
pub struct RoleRead {
    pub role: Option<IamRole>,
    /// Why the role was not read (another account, no permission).
    pub skipped: Option<String>,
}

pub use crate::model::arn::role_name as name_of;

/// Reads `role_arn` with `iam:GetRole` and compares it with the request.
pub async fn read(
    iam: &IamSession,
    role_arn: &str,
    duration: Option<i32>,
    progress: &dyn Progress,
) -> Staged<RoleRead> {
    let started = Instant::now();
    let mut read = RoleRead::default();
    let mut findings = Vec::new();
    match (Arn::parse(role_arn), &iam.account) {
        (Some(arn), Some(account))
            if arn.account != account && !role_arn.contains(":oidc-provider/") =>
        {
            read.skipped = Some(format!(
                "the role is in account {}, the credentials are for account {account}: IAM shows only the caller's roles",
                arn.account
            ));
        }
        _ => {
            let name = name_of(role_arn);
            // `check` reads the role for its policy stage.
            progress.update("policy", "reading the role…");
            match crate::net::aws::get_role(&iam.client, name).await {
                // What was found so far stands; the stage says why it did not run.
                Err(error) => {
                    read.skipped = Some(if error.is_access_denied() {
                        format!("{error} (the credentials need `iam:GetRole`)")
                    } else {
                        error.to_string()
                    });
                }
                Ok(Some(role)) => {
                    findings.extend(rules::provider::role::role_arn(role_arn, &role));
                    if let Some(duration) = duration {
                        findings.extend(rules::provider::role::duration(duration, &role));
                    }
                    read.role = Some(role);
                }
                Ok(None) => {
                    findings.push(rules::provider::role::no_such_role(
                        role_arn,
                        name,
                        iam.account.as_deref(),
                    ));
                }
            }
        }
    }
    let detail = match (&read.role, &read.skipped) {
        (Some(role), _) => format!(
            "{}: path {}, max session {} s",
            role.arn,
            role.path,
            role.max_session_duration.unwrap_or(3600)
        ),
        (None, Some(why)) => format!("not read: {why}"),
        (None, None) => format!("{role_arn}: not found"),
    };
    let mut stage = Stage::ran("role", &findings, started.elapsed(), detail);
    if read.skipped.is_some() {
        stage.status = StageStatus::Skip;
    }
    Staged {
        data: read,
        findings,
        stages: vec![stage],
        sources: Vec::new(),
    }
}
