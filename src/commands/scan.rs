//! `scan`: every role of the account that trusts a web identity, through
//! the scan stage.

use crate::cli::ScanArgs;
use crate::error::Error;
use crate::net::aws::IamSession;
use crate::report::{CommandData, Report};
use crate::stages::Progress;
use crate::stages::scan::{self, ScanRequest};

use super::inputs::aws_options;

pub fn run(args: &ScanArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let runtime = crate::net::runtime()?;
    progress.started("scan", "loading AWS credentials…");
    let iam = runtime.block_on(IamSession::connect(
        &aws_options(&args.aws, args.timeout.timeout),
        "scan",
    ))?;
    let request = ScanRequest {
        provider: args.provider.clone(),
        concurrency: usize::from(args.concurrency),
    };
    let scanned = runtime.block_on(scan::run(&iam, &request, progress))?;
    Ok(Report::of("scan", scanned, |data| {
        CommandData::Scan(Box::new(data))
    }))
}
