//! `issuer`: the issuer stage alone, with as many samples as asked.

use jiff::Timestamp;

use crate::cli::IssuerArgs;
use crate::error::Error;
use crate::net::http::HttpClient;
use crate::report::{CommandData, Goal, Report};
use crate::stages::Progress;
use crate::stages::issuer::{self, ProbeRequest};

use super::inputs::net_options;

pub fn run(args: &IssuerArgs, progress: &dyn Progress) -> Result<Report, Error> {
    // What is no URL at all is a usage error; a URL of the wrong form
    // (http, a port) is IS001's.
    let parsed = url::Url::parse(args.url.trim());
    if !parsed.is_ok_and(|u| u.has_host() && matches!(u.scheme(), "http" | "https")) {
        return Err(Error::Usage {
            message: format!(
                "`{}` is not an issuer URL",
                crate::finding::shown(args.url.trim())
            ),
            help: "give the token's `iss`, e.g. `oidc-doctor issuer https://token.actions.githubusercontent.com`"
                .to_owned(),
        });
    }
    let client = HttpClient::new(&net_options(&args.net))?;
    let runtime = crate::net::runtime()?;
    let request = ProbeRequest {
        url: args.url.clone(),
        samples: usize::from(args.samples),
        interval: args.interval,
        burst: args.burst.map(usize::from),
    };
    let probed = runtime.block_on(issuer::probe(&client, &request, progress));
    let local_sts = crate::net::aws::local_sts_endpoint();
    let judged = issuer::judge(probed, Timestamp::now(), local_sts.as_deref());
    for row in &judged.stages {
        progress.finished(row);
    }
    // Not reached from this machine: the probe could not run (exit 3 unless
    // a finding explains more).
    let blocked = judged.data.unreachable_from_here.is_some();
    let mut report = Report::of("issuer", judged, |data| CommandData::Issuer(Box::new(data)));
    if blocked {
        report.goal = Some(Goal::Blocked);
    }
    Ok(report)
}
