//! Instants and durations as people read them.

use jiff::Timestamp;

/// `4m 10s`, `12m`, `1h 2m`, `3d 4h`, `74y 19d`: the two most significant units.
pub fn human_duration(seconds: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (31_536_000, "y"),
        (86_400, "d"),
        (3_600, "h"),
        (60, "m"),
        (1, "s"),
    ];
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut rest = seconds;
    let mut parts = Vec::new();
    for (size, unit) in UNITS {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // Keep the two units adjacent: `1h 0m` would be noise, stop instead.
            break;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

/// `in 4m 10s` or `12m ago`, relative to `now`.
pub fn relative(then: i64, now: i64) -> String {
    let delta = then.saturating_sub(now);
    match delta.cmp(&0) {
        std::cmp::Ordering::Equal => "now".to_owned(),
        std::cmp::Ordering::Greater => format!("in {}", human_duration(delta.unsigned_abs())),
        std::cmp::Ordering::Less => format!("{} ago", human_duration(delta.unsigned_abs())),
    }
}

/// RFC 3339 UTC, or a note when the number is no valid instant.
pub fn utc(seconds: i64) -> String {
    Timestamp::from_second(seconds).map_or_else(
        |_| format!("{seconds} (not a valid time)"),
        |t| t.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(250), "4m 10s");
        assert_eq!(human_duration(720), "12m");
        assert_eq!(human_duration(3_725), "1h 2m");
        assert_eq!(human_duration(3_605), "1h");
        assert_eq!(human_duration(90_061), "1d 1h");
        assert_eq!(human_duration(2_335_219_200), "74y 18d");
        assert_eq!(relative(100, 350), "4m 10s ago");
        assert_eq!(relative(350, 100), "in 4m 10s");
        assert_eq!(relative(5, 5), "now");
        assert!(relative(i64::MIN, i64::MAX).ends_with(" ago"));
    }

    #[test]
    fn utc_is_rfc3339() {
        assert_eq!(utc(1_780_315_200), "2026-06-01T12:00:00Z");
        assert!(utc(i64::MAX).contains("not a valid time"));
    }
}
