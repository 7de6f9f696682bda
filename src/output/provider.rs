//! How `provider` and `scan` are shown: what IAM holds, in tables.

use std::io::{self, Write};

use comfy_table::{ColumnConstraint, Table, Width};
use serde_json::{Value, json};

use crate::stages::provider::ProviderData;
use crate::stages::scan::ScanData;

use super::printable;

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "(none)".to_owned()
    } else {
        values
            .iter()
            .map(|v| printable(v).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

pub fn write_human(
    data: &ProviderData,
    mut table: impl FnMut() -> Table,
    out: &mut dyn Write,
) -> io::Result<()> {
    let account = data.account.as_deref().unwrap_or("unknown");
    let place = match (&data.region, data.partition()) {
        (Some(region), Some(partition)) => format!("region {region}, partition {partition}"),
        _ => "no region".to_owned(),
    };
    writeln!(
        out,
        "IAM       account {account} ({place}) at {}",
        printable(data.endpoint.as_deref().unwrap_or("-"))
    )?;
    if let Some(issuer) = &data.issuer {
        writeln!(out, "Issuer    {}", printable(issuer))?;
    }
    if let Some((source, sub, aud)) = &data.token {
        writeln!(
            out,
            "Token     from {}: sub {}, audience {}",
            printable(source),
            printable(sub.as_deref().unwrap_or("-")),
            printable(aud.as_deref().unwrap_or("-"))
        )?;
    }
    writeln!(out)?;
    let mut provider = table();
    provider.set_header(["provider", "value"]);
    if let Some((arn, p)) = &data.provider {
        provider.add_row(vec!["ARN".to_owned(), printable(arn).into_owned()]);
        provider.add_row(vec![
            "URL".to_owned(),
            format!("https://{}", printable(&p.url)),
        ]);
        provider.add_row(vec![
            "audiences (ClientIDList)".to_owned(),
            list(&p.client_ids),
        ]);
        provider.add_row(vec!["thumbprints".to_owned(), list(&p.thumbprints)]);
    } else if let Some(why) = &data.provider_skipped {
        provider.add_row(vec![
            "not looked up".to_owned(),
            printable(why).into_owned(),
        ]);
    } else {
        let names: Vec<String> = data.listed.iter().map(|p| p.name.clone()).collect();
        provider.add_row(vec!["none matches; listed".to_owned(), list(&names)]);
    }
    if let Some(column) = provider.column_mut(1) {
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(42)));
    }
    writeln!(out, "{}", super::layout::unbroken(&mut provider))?;
    if let Some(role) = &data.role {
        let mut table = table();
        table.set_header(["role", "value"]);
        table.add_row(vec!["ARN".to_owned(), printable(&role.arn).into_owned()]);
        table.add_row(vec!["path".to_owned(), printable(&role.path).into_owned()]);
        table.add_row(vec![
            "max session".to_owned(),
            format!("{} s", role.max_session_duration.unwrap_or(3600)),
        ]);
        writeln!(out, "{}", super::layout::unbroken(&mut table))?;
    } else if let Some(why) = &data.role_skipped {
        writeln!(out, "Role      not read: {}", printable(why))?;
    }
    for host in &data.hosts {
        let top = host.chain.top_intermediate();
        let registered = data.provider.as_ref().is_some_and(|(_, p)| {
            top.is_some_and(|c| {
                p.thumbprints
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&c.sha1))
            })
        });
        writeln!(
            out,
            "TLS       {}: {}; top intermediate {}{}",
            printable(&host.chain.host),
            if host.public_trust.is_ok() {
                "publicly trusted (thumbprints ignored)"
            } else {
                "not publicly trusted (thumbprints used)"
            },
            top.map_or("-", |c| c.sha1.as_str()),
            if registered { ", registered" } else { "" }
        )?;
    }
    if let Some(why) = &data.probe_skipped {
        writeln!(out, "TLS       not probed: {}", printable(why))?;
    }
    if let Some(evaluation) = &data.evaluation {
        let verdict = if evaluation.evaluation.allowed() {
            "allows this token".to_owned()
        } else {
            format!(
                "refuses this token{}",
                super::refusal_reason(&evaluation.evaluation)
            )
        };
        writeln!(out, "Policy    {verdict}")?;
    }
    writeln!(out)
}

pub fn json(data: &ProviderData) -> Value {
    json!({
        "account": data.account,
        "region": data.region,
        "partition": data.partition(),
        "endpoint": data.endpoint,
        "issuer": data.issuer,
        "listed": data.listed.iter().map(|p| &p.arn).collect::<Vec<_>>(),
        "provider_skipped": data.provider_skipped,
        "provider": data.provider.as_ref().map(|(arn, p)| json!({
            "arn": arn,
            "url": p.url,
            "client_ids": p.client_ids,
            "thumbprints": p.thumbprints,
        })),
        "role": data.role.as_ref().map(|r| json!({
            "arn": r.arn,
            "name": r.name,
            "path": r.path,
            "max_session_duration": r.max_session_duration,
        })),
        "role_skipped": data.role_skipped,
        "tls": data.hosts.iter().map(|h| json!({
            "host": h.chain.host,
            "publicly_trusted": h.public_trust.is_ok(),
            "thumbprint": h.chain.top_intermediate().map(|c| &c.sha1),
        })).collect::<Vec<_>>(),
        "tls_skipped": data.probe_skipped,
        "allowed": data.evaluation.as_ref().map(|e| e.evaluation.allowed()),
        "reason": data.evaluation.as_ref().filter(|e| !e.evaluation.allowed())
            .map(|e| super::refusal_reason(&e.evaluation).trim_start_matches(": ").to_owned()),
    })
}

pub fn write_scan_human(
    data: &ScanData,
    mut table: impl FnMut() -> Table,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "Scanned   {} of account {}: {} a web identity{}",
        crate::finding::counted(data.roles_total, "role", "roles"),
        data.account.as_deref().unwrap_or("unknown"),
        if data.roles.len() == 1 {
            "1 trusts".to_owned()
        } else {
            format!("{} trust", data.roles.len())
        },
        data.filter
            .as_ref()
            .map_or_else(String::new, |f| format!(" provider `{}`", printable(f)))
    )?;
    if !data.roles.is_empty() {
        let mut roles = table();
        roles.set_header(["role", "trusts", "findings"]);
        for role in &data.roles {
            let findings = match role.worst {
                Some(worst) => format!("{} (worst {worst})", role.findings),
                None => "0".to_owned(),
            };
            roles.add_row(vec![
                printable(&role.arn).into_owned(),
                list(&role.providers),
                findings,
            ]);
        }
        // ARNs are copied into commands: they do not wrap; provider names may.
        if let Some(column) = roles.column_mut(0) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
        writeln!(out, "{}", super::layout::unbroken(&mut roles))?;
    }
    writeln!(out)
}

pub fn scan_json(data: &ScanData) -> Value {
    json!({
        "account": data.account,
        "region": data.region,
        "endpoint": data.endpoint,
        "roles_total": data.roles_total,
        "provider_filter": data.filter,
        "roles": data.roles.iter().map(|r| json!({
            "arn": r.arn,
            "providers": r.providers,
            "findings": r.findings,
            "worst": r.worst.map(crate::finding::Severity::as_str),
        })).collect::<Vec<_>>(),
        "providers": data.providers.iter().map(|(arn, p)| match p {
            Ok(p) => json!({"arn": arn, "url": p.url, "client_ids": p.client_ids, "error": null}),
            Err(why) => json!({"arn": arn, "url": null, "client_ids": null, "error": why}),
        }).collect::<Vec<_>>(),
    })
}

pub fn write_markdown(data: &ProviderData, out: &mut dyn Write) -> io::Result<()> {
    use super::md::{code, inline};
    writeln!(out, "\n## IAM\n")?;
    if let Some((arn, p)) = &data.provider {
        writeln!(
            out,
            "- Provider: {} (audiences: {})",
            code(arn),
            inline(&p.client_ids.join(", "))
        )?;
    }
    if let Some(role) = &data.role {
        writeln!(
            out,
            "- Role: {}, max session {} s",
            code(&role.arn),
            role.max_session_duration.unwrap_or(3600)
        )?;
    }
    Ok(())
}

pub fn write_scan_markdown(data: &ScanData, out: &mut dyn Write) -> io::Result<()> {
    use super::md::{cell, code_cell};
    writeln!(
        out,
        "\n## Roles\n\n| Role | Trusts | Findings |\n|---|---|---|"
    )?;
    for role in &data.roles {
        writeln!(
            out,
            "| {} | {} | {} |",
            code_cell(&role.arn),
            cell(&role.providers.join(", ")),
            role.findings
        )?;
    }
    Ok(())
}
