//! `issuer`: the issuer stage alone, with as many samples as asked.

use jiff::Timestamp;

use crate::cli::IssuerArgs;
use crate::error::Error;
use crate::net::http::HttpClient;
use crate::report::{CommandData, Report};
use crate::stages::Progress;
use crate::stages::issuer::{self, ProbeRequest};

use super::inputs::net_options;

pub fn run(args: &IssuerArgs, progress: &dyn Progress) -> Result<Report, Error> {
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
    Ok(Report::of("issuer", judged, |data| {
        CommandData::Issuer(Box::new(data))
    }))
}
