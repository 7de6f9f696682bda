//! `decode`: the token stage, and with `--verify`, `--jwks-url` or
//! `--jwks`, the key set and the signature.

use jiff::Timestamp;

use crate::cli::DecodeArgs;
use crate::error::Error;
use crate::net::http::HttpClient;
use crate::report::{CommandData, Report};
use crate::stages::issuer::keys::{self, KeySource};
use crate::stages::{Progress, token};

use super::inputs::{net_options, token_spec};

pub fn run(args: &DecodeArgs, progress: &dyn Progress) -> Result<Report, Error> {
    let input = token::read(&token_spec(&args.token)?)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let mut staged = token::run(&input, now, args.at.is_some());
    let key_set = match (&args.jwks, &args.jwks_url, args.verify) {
        (Some(path), _, _) => Some(keys::read_file(path)?),
        (None, Some(url), _) => fetch(args, KeySource::Url(url), &mut staged, progress)?,
        (None, None, true) => {
            if let Some(iss) = staged.data.jwt().and_then(|j| j.claim_str("iss")) {
                let iss = iss.to_owned();
                fetch(args, KeySource::Issuer(&iss), &mut staged, progress)?
            } else {
                staged.data.signature_skipped =
                    Some("the token has no `iss` URL to fetch its keys from".to_owned());
                None
            }
        }
        (None, None, false) => None,
    };
    if let Some(key_set) = key_set {
        let checked = keys::verify(key_set, staged.data.jwt());
        let signature = staged.absorb(checked);
        staged.data.signature = signature;
    }
    // The token row is judged by everything the token's checks found.
    if let Some(row) = staged.stages.first_mut() {
        row.status = crate::stages::Stage::judge(&staged.findings);
        progress.finished(row);
    }
    let mut report = Report::of("decode", staged, |data| CommandData::Decode(Box::new(data)));
    report.input = input.path.map(|p| p.display().to_string());
    Ok(report)
}

/// Fetches the key set, its fetch findings joining the token's.
fn fetch(
    args: &DecodeArgs,
    source: KeySource<'_>,
    staged: &mut crate::stages::Staged<token::TokenData>,
    progress: &dyn Progress,
) -> Result<Option<keys::KeySetText>, Error> {
    let client = HttpClient::new(&net_options(&args.net))?;
    let runtime = crate::net::runtime()?;
    let fetched = runtime.block_on(keys::fetch(&client, source, progress));
    let fetched = staged.absorb(fetched);
    if let Some(why) = fetched.skipped {
        staged.data.signature_skipped = Some(why);
    }
    Ok(fetched.key_set)
}
