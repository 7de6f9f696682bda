//! The certificate chain a server sent, read certificate by certificate:
//! names, validity, whether each issued the one before, and the SHA-1
//! thumbprints IAM keeps for an OIDC provider.

use jiff::Timestamp;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::model::issuer::Document;

/// One served certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// 0-based position in the served chain.
    pub position: usize,
    pub subject: String,
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub is_ca: bool,
    /// Subject and issuer are the same name (a root).
    pub self_issued: bool,
    /// Lower-case hex SHA-1 of the DER: IAM's thumbprint form.
    pub sha1: String,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    der: Vec<u8>,
}

impl Certificate {
    /// Reads one DER certificate; `None` when it is not one.
    pub fn parse(position: usize, der: &[u8]) -> Option<Self> {
        let (_, certificate) = X509Certificate::from_der(der).ok()?;
        let subject_der = certificate.subject().as_raw().to_vec();
        let issuer_der = certificate.issuer().as_raw().to_vec();
        let timestamp = |time: x509_parser::time::ASN1Time| {
            Timestamp::from_second(time.timestamp()).unwrap_or(Timestamp::MIN)
        };
        Some(Certificate {
            position,
            subject: certificate.subject().to_string(),
            issuer: certificate.issuer().to_string(),
            not_before: timestamp(certificate.validity().not_before),
            not_after: timestamp(certificate.validity().not_after),
            is_ca: certificate.is_ca(),
            self_issued: subject_der == issuer_der,
            sha1: thumbprint(der),
            subject_der,
            issuer_der,
            der: der.to_vec(),
        })
    }

    /// Whether `self` names `other` as its issuer.
    pub fn issued_by(&self, other: &Certificate) -> bool {
        self.issuer_der == other.subject_der
    }

    /// A short name for messages: the common name when there is one.
    pub fn name(&self) -> String {
        common_name(&self.subject)
    }

    /// The issuer's common name, when there is one.
    pub fn issuer_name(&self) -> String {
        common_name(&self.issuer)
    }
}

fn common_name(distinguished_name: &str) -> String {
    distinguished_name
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(distinguished_name)
        .to_owned()
}

/// The SHA-1 of a certificate's DER, in lower-case hex: the form IAM's
/// `ThumbprintList` holds (40 characters).
pub fn thumbprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    super::lower_hex(digest.as_ref())
}

/// The chain one host served, and what the probe learnt about it.
#[derive(Debug, Clone)]
pub struct HostChain {
    pub chain: ServedChain,
    pub port: u16,
    /// The documents STS fetches from this host.
    pub documents: Vec<Document>,
    /// Whether the chain leads to a public root; `Err` says why not.
    pub public_trust: Result<(), String>,
}

/// The chain one host served.
#[derive(Debug, Clone, Default)]
pub struct ServedChain {
    pub host: String,
    pub certificates: Vec<Certificate>,
    /// Positions of served blobs that are not certificates.
    pub unreadable: Vec<usize>,
}

impl ServedChain {
    pub fn read(host: &str, ders: &[Vec<u8>]) -> Self {
        let mut chain = ServedChain {
            host: host.to_owned(),
            ..ServedChain::default()
        };
        for (position, der) in ders.iter().enumerate() {
            match Certificate::parse(position, der) {
                Some(certificate) => chain.certificates.push(certificate),
                None => chain.unreadable.push(position),
            }
        }
        chain
    }

    /// The certificate IAM takes the thumbprint of: the top intermediate,
    /// i.e. the last one served, not counting a self-issued root at the end.
    /// With only a leaf served, the leaf.
    pub fn top_intermediate(&self) -> Option<&Certificate> {
        let mut served = self.certificates.iter().rev();
        let last = served.next()?;
        if last.self_issued && self.certificates.len() > 1 {
            served.next()
        } else {
            Some(last)
        }
    }

    /// What is wrong with the order and content of the chain, in words; empty
    /// when it is leaf, then each issuer in turn, optionally ending in the root.
    pub fn order_problems(&self) -> Vec<String> {
        let certificates = &self.certificates;
        let mut problems: Vec<String> = self
            .unreadable
            .iter()
            .map(|position| {
                format!(
                    "certificate {} is not a readable X.509 certificate",
                    position + 1
                )
            })
            .collect();
        for (index, certificate) in certificates.iter().enumerate() {
            if let Some(first) = certificates[..index]
                .iter()
                .find(|c| c.der == certificate.der)
            {
                problems.push(format!(
                    "certificate {} ({}) is sent twice (also at {})",
                    index + 1,
                    certificate.name(),
                    first.position + 1
                ));
            }
        }
        let Some(leaf) = certificates.first() else {
            return problems;
        };
        if leaf.is_ca {
            problems.push(format!(
                "the first certificate ({}) is a CA, not the server's own certificate",
                leaf.name()
            ));
        }
        let distinct: Vec<&Certificate> = certificates
            .iter()
            .enumerate()
            .filter(|(index, c)| {
                !certificates[..*index]
                    .iter()
                    .any(|earlier| earlier.der == c.der)
            })
            .map(|(_, c)| c)
            .collect();
        for pair in distinct.windows(2) {
            let (child, next) = (pair[0], pair[1]);
            if child.issued_by(next) && !child.self_issued {
                continue;
            }
            let issuer_later = distinct
                .iter()
                .skip_while(|c| c.position <= next.position)
                .find(|c| child.issued_by(c) && !child.self_issued);
            let problem = match issuer_later {
                _ if next.issued_by(child) && !next.self_issued => format!(
                    "certificate {} ({}) comes after its own issuer ({}): the order is reversed",
                    next.position + 1,
                    next.name(),
                    child.name()
                ),
                Some(issuer) => format!(
                    "{} is followed by {}, but its issuer ({}) comes later, at {}",
                    child.name(),
                    next.name(),
                    issuer.name(),
                    issuer.position + 1
                ),
                None if child.self_issued => format!(
                    "certificate {} ({}) follows the root ({}): it does not belong to the chain",
                    next.position + 1,
                    next.name(),
                    child.name()
                ),
                None => format!(
                    "certificate {} ({}) did not issue {} and does not belong to the chain",
                    next.position + 1,
                    next.name(),
                    child.name()
                ),
            };
            problems.push(problem);
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_lower_case_hex_sha1() {
        // SHA-1("abc"), FIPS 180-2 appendix A.1.
        assert_eq!(
            thumbprint(b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn blobs_that_are_not_certificates_are_reported_not_fatal() {
        let chain = ServedChain::read("example.com", &[b"not a certificate".to_vec()]);
        assert!(chain.certificates.is_empty());
        assert_eq!(chain.top_intermediate(), None);
        assert_eq!(
            chain.order_problems(),
            ["certificate 1 is not a readable X.509 certificate"]
        );
    }
}
