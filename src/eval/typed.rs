//! Values read as the non-string operators read them: numbers, dates (ISO
//! 8601 or epoch seconds), booleans, base64 binary and IP addresses/CIDR
//! ranges. Each returns `None` when the text is not of that type.

use std::net::IpAddr;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;

/// A decimal or integer number.
pub(crate) fn number(text: &str) -> Option<f64> {
    f64::from_str(text.trim()).ok().filter(|n| n.is_finite())
}

/// An instant: RFC 3339 with offset, a date-time or date taken as UTC, or
/// epoch seconds.
pub(crate) fn date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<Timestamp>() {
        return Some(timestamp);
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Timestamp::from_second(seconds).ok();
    }
    let civil = text.parse::<DateTime>().ok().or_else(|| {
        text.parse::<Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    })?;
    Offset::UTC.to_timestamp(civil).ok()
}

/// `true` or `false`, in any case.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Standard base64 (as `BinaryEquals` values are written).
pub(crate) fn binary(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

/// An address or CIDR range: the network address and prefix length.
pub(crate) fn network(text: &str) -> Option<(IpAddr, u32)> {
    let (address, prefix) = match text.trim().split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text.trim(), None),
    };
    let address = IpAddr::from_str(address).ok()?;
    let bits = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(prefix) => prefix.parse::<u32>().ok().filter(|p| *p <= bits)?,
        None => bits,
    };
    Some((address, prefix))
}

/// An IP address.
pub(crate) fn address(text: &str) -> Option<IpAddr> {
    IpAddr::from_str(text.trim()).ok()
}

/// Whether `address` lies in the range (different families never match).
pub(crate) fn in_network(address: IpAddr, (network, prefix): (IpAddr, u32)) -> bool {
    let masked = |value: u128, bits: u32| {
        if prefix == 0 {
            0
        } else {
            value >> (bits - prefix)
        }
    };
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            masked(u128::from(u32::from(a)), 32) == masked(u128::from(u32::from(n)), 32)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => masked(u128::from(a), 128) == masked(u128::from(n), 128),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_type() {
        assert_eq!(number("10"), Some(10.0));
        assert_eq!(number("-1.5"), Some(-1.5));
        assert_eq!(number("ten"), None);
        assert_eq!(number("NaN"), None);
        let midnight = date("2026-01-01T00:00:00Z");
        assert!(midnight.is_some());
        assert_eq!(date("2026-01-01"), midnight);
        assert_eq!(date("2026-01-01T00:00:00"), midnight);
        assert_eq!(date("1767225600"), midnight);
        assert_eq!(date("2026-01-01T01:00:00+01:00"), midnight);
        assert_eq!(date("yesterday"), None);
        assert_eq!(boolean("TRUE"), Some(true));
        assert_eq!(boolean("0"), None);
        assert_eq!(binary("aGk="), Some(b"hi".to_vec()));
        assert_eq!(binary("not base64!"), None);
    }

    #[test]
    fn ranges_contain_addresses() {
        let range = network("203.0.113.0/24").expect("a range");
        assert!(in_network(address("203.0.113.9").expect("ip"), range));
        assert!(!in_network(address("203.0.114.9").expect("ip"), range));
        assert!(in_network(
            address("1.2.3.4").expect("ip"),
            network("0.0.0.0/0").expect("all")
        ));
        let single = network("2001:db8::1").expect("an address");
        assert!(in_network(address("2001:db8::1").expect("ip"), single));
        assert!(!in_network(address("2001:db8::2").expect("ip"), single));
        assert!(!in_network(address("1.2.3.4").expect("ip"), single));
        assert!(network("1.2.3.4/33").is_none());
        assert!(network("nope").is_none());
    }
}
