//! The Terraform source reader: any text gives policies, "not a policy
//! file" or a syntax error inside the text, never a panic; every span it
//! records lies inside the file.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use oidc_doctor::model::documents::Recognised;
use oidc_doctor::model::terraform::{recognise_terraform, tfvars_values};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vars = tfvars_values(text);
    let source = recognise_terraform("f.tf", text, &vars);
    match source.recognised {
        Recognised::Unparseable(error) => assert!(error.offset <= text.len()),
        Recognised::Policies(docs) => {
            for doc in docs {
                if let Some((start, len)) = doc.span("") {
                    assert!(start + len <= doc.source.text.len());
                }
                let _ = doc.value().to_string();
            }
        }
        _ => {}
    }
});
