//! Arbitrary bytes as a lint input: JSON and YAML recognition (plain policy,
//! get-role output, CloudFormation, Terraform plan), every TP rule and the
//! human and SARIF renderings must neither panic nor fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oidc_doctor::cli::Format;
use oidc_doctor::model::documents::{Recognised, recognise_json, recognise_yaml};
use oidc_doctor::output::{self, Options};
use oidc_doctor::finding::SourceFile;
use oidc_doctor::report::{CommandData, Report};
use oidc_doctor::rules::trust_policy::{self, LintOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let options = LintOptions { role_arn: Some("arn:aws:iam::123456789012:role/r".to_owned()), ..LintOptions::default() };
    for recognised in [recognise_json("f.json", text.to_owned()), recognise_yaml("f.yaml", text.to_owned())] {
        if let Recognised::Policies(docs) = recognised {
            let mut report = Report::new("lint", CommandData::None);
            for doc in &docs {
                report.findings.extend(trust_policy::check(doc, &options));
                report.sources.push(SourceFile { key: trust_policy::source_key(doc), text: doc.source.text.as_str().into() });
            }
            for format in [Format::Human, Format::Sarif] {
                let mut out = Vec::new();
                output::write_report(&report, &Options { format, color: false, width: 80 }, &mut out).unwrap();
            }
        }
    }
});
