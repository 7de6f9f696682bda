//! Arbitrary bytes as a token: normalisation, parsing, every TK rule and
//! every output format must neither panic nor fail to render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oidc_doctor::cli::Format;
use oidc_doctor::stages::token as decode;
use oidc_doctor::output::{self, Options};
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::rules;

fuzz_target!(|data: &[u8]| {
    let now = jiff::Timestamp::from_second(1_780_315_200).unwrap();
    let analysed = decode::analyse(data, "fuzz".to_owned(), now, false);
    let mut report = Report::new("decode", CommandData::None);
    report.findings = rules::token::check(&analysed.token, now);
    report.data = CommandData::Decode(Box::new(analysed));
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github, Format::Markdown] {
        let options = Options { format, color: false, width: 80 };
        let mut out = Vec::new();
        output::write_report(&report, &options, &mut out).unwrap();
    }
});
