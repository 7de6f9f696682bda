//! The Terraform source reader: any text, as a `.tf` file and as a
//! `.tf.json` file of one module, gives policies, "not a policy file" or a
//! syntax error inside the text, never a panic; every span it records lies
//! inside the file the policy is located in.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oidc_doctor::model::documents::Recognised;
use oidc_doctor::model::terraform::{ModuleFile, recognise_module, tfvars_values};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line may be a second file of the module, so references
    // across files are exercised too.
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    // Variables files in both syntaxes: an error, never a panic.
    let _ = tfvars_values(text, true);
    let vars = tfvars_values(text, false).unwrap_or_default();
    let files = [
        ModuleFile { name: "main.tf", text },
        ModuleFile { name: "other.tf", text: first },
        ModuleFile { name: "cdk.tf.json", text: rest },
    ];
    for (source, file) in recognise_module(&files, &vars).into_iter().zip(&files) {
        match source.recognised {
            Recognised::Unparseable(error) => assert!(error.offset <= file.text.len()),
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
    }
});
