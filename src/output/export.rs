//! `assume --export`: the one place credentials leave the process, and only
//! when asked. Shell `export` lines, JSON, the `credential_process` format,
//! or `::add-mask::` lines followed by the variables appended to `$GITHUB_ENV`.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::json;

use crate::model::aws::Assumed;
use crate::model::aws::CredentialExport as ExportFormat;
use crate::report::{CommandData, Report};

/// Whether the run was asked to export: then standard output carries the
/// credentials or nothing, never the report (`eval "$(...)"` would run it).
pub fn exports(report: &Report) -> bool {
    matches!(&report.data, CommandData::Assume(data) if data.export.is_some())
}

/// Writes the export the report asks for (nothing when it asks for none).
pub fn write_export(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let CommandData::Assume(data) = &report.data else {
        return Ok(());
    };
    let (Some(format), Some(assumed)) = (data.export, &data.assumed) else {
        return Ok(());
    };
    match format {
        ExportFormat::Env => out.write_all(env_lines(assumed).as_bytes())?,
        ExportFormat::Json => writeln!(out, "{}", json_object(assumed, false))?,
        ExportFormat::CredentialProcess => writeln!(out, "{}", json_object(assumed, true))?,
        ExportFormat::GithubEnv => {
            // Masks first: nothing that follows may show a value unmasked.
            out.write_all(mask_lines(assumed).as_bytes())?;
            out.flush()?;
            let path = std::env::var_os("GITHUB_ENV")
                .ok_or_else(|| io::Error::other("GITHUB_ENV is not set"))?;
            let mut options = std::fs::OpenOptions::new();
            options.append(true).create(true);
            // Secrets go into it: a file made here is the user's alone.
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut file = options.open(path)?;
            file.write_all(github_env_lines(assumed).as_bytes())?;
            file.sync_all()?;
        }
    }
    out.flush()
}

fn variables(assumed: &Assumed) -> [(&'static str, String); 4] {
    let c = &assumed.credentials;
    [
        ("AWS_ACCESS_KEY_ID", c.access_key_id.expose().to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            c.secret_access_key.expose().to_owned(),
        ),
        ("AWS_SESSION_TOKEN", c.session_token.expose().to_owned()),
        ("AWS_CREDENTIAL_EXPIRATION", iso8601(assumed)),
    ]
}

fn iso8601(assumed: &Assumed) -> String {
    assumed
        .credentials
        .expiration
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A value in single quotes, safe for any POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn env_lines(assumed: &Assumed) -> String {
    variables(assumed)
        .iter()
        .fold(String::new(), |mut lines, (name, value)| {
            let _ = writeln!(lines, "export {name}={}", shell_quote(value));
            lines
        })
}

fn json_object(assumed: &Assumed, credential_process: bool) -> serde_json::Value {
    let c = &assumed.credentials;
    let mut object = json!({
        "AccessKeyId": c.access_key_id.expose(),
        "SecretAccessKey": c.secret_access_key.expose(),
        "SessionToken": c.session_token.expose(),
        "Expiration": iso8601(assumed),
    });
    if credential_process {
        object["Version"] = json!(1);
    } else {
        object["AssumedRoleArn"] = json!(assumed.assumed_role_arn);
    }
    object
}

fn mask_lines(assumed: &Assumed) -> String {
    variables(assumed)
        .iter()
        .take(3)
        .fold(String::new(), |mut lines, (_, value)| {
            let _ = writeln!(lines, "::add-mask::{value}");
            lines
        })
}

/// `NAME=value` lines: credentials with control characters are refused
/// when STS answers (`net::aws::assume`), so no value can start another line.
fn github_env_lines(assumed: &Assumed) -> String {
    variables(assumed)
        .iter()
        .fold(String::new(), |mut lines, (name, value)| {
            let _ = writeln!(lines, "{name}={value}");
            lines
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::aws::{Credentials, Secret};

    fn assumed() -> Assumed {
        Assumed {
            assumed_role_arn: Some("arn:aws:sts::123456789012:assumed-role/deploy/ci".into()),
            subject: None,
            audience: None,
            provider: None,
            credentials: Credentials {
                access_key_id: Secret::new("ASIAEXAMPLE"),
                secret_access_key: Secret::new("it's/secret"),
                session_token: Secret::new("token"),
                expiration: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
            },
        }
    }

    #[test]
    fn env_lines_quote_every_value() {
        let lines = env_lines(&assumed());
        assert!(
            lines.contains("export AWS_SECRET_ACCESS_KEY='it'\\''s/secret'\n"),
            "{lines}"
        );
        assert!(
            lines.contains("export AWS_CREDENTIAL_EXPIRATION='2027-01-15T08:00:00Z'\n"),
            "{lines}"
        );
    }

    #[test]
    fn credential_process_output_has_version_1_and_iso_expiration() {
        let object = json_object(&assumed(), true);
        assert_eq!(object["Version"], 1);
        assert_eq!(object["Expiration"], "2027-01-15T08:00:00Z");
        assert_eq!(object["SessionToken"], "token");
    }

    #[test]
    fn github_masks_every_secret_then_lists_the_variables() {
        let masks = mask_lines(&assumed());
        assert_eq!(masks.lines().count(), 3);
        assert!(masks.starts_with("::add-mask::ASIAEXAMPLE\n"));
        assert_eq!(
            github_env_lines(&assumed()),
            "AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nAWS_SECRET_ACCESS_KEY=it's/secret\n\
             AWS_SESSION_TOKEN=token\nAWS_CREDENTIAL_EXPIRATION=2027-01-15T08:00:00Z\n"
        );
    }
}
