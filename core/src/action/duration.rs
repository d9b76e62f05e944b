//! Durations as the platform reads them: pydantic v2's ISO-8601 text and
//! `timedelta.total_seconds()` numbers.

use std::fmt::Write as _;
use std::time::Duration;

/// The largest number of days a Python `timedelta` (and so the platform) accepts.
pub const MAX_WIRE_DAYS: u64 = 999_999_999;

/// Formats a duration exactly as pydantic v2 serializes a `timedelta` in JSON mode
/// (`ser_json_timedelta = "iso8601"`, the default), which is `speedate::Duration`'s
/// `Display`:
///
/// - `P`, then whole years of 365 days as `{n}Y` and the remaining days as `{n}D`, each
///   only when non-zero;
/// - then, when the part below one day is non-zero, `T` followed by `{h}H`, `{m}M` (each only
///   when non-zero) and `{s}[.{fraction}]S` when the seconds or microseconds are non-zero; the
///   fraction is the six-digit microseconds with trailing zeros removed;
/// - a zero duration is `PT0S`.
///
/// Python's `timedelta` has microsecond resolution, so anything below a microsecond is
/// truncated. Examples: 30 s → `PT30S`, 15 min → `PT15M`, 1.5 s → `PT1.5S`,
/// 1 h 30 min 0.005 s → `PT1H30M0.005S`, 26 h → `P1DT2H`, 400 days → `P1Y35D`.
///
/// ```
/// use std::time::Duration;
/// use ampere_core::action::iso8601_duration;
///
/// assert_eq!(iso8601_duration(Duration::from_secs(30)), "PT30S");
/// assert_eq!(iso8601_duration(Duration::from_secs(15 * 60)), "PT15M");
/// assert_eq!(iso8601_duration(Duration::from_millis(1500)), "PT1.5S");
/// assert_eq!(iso8601_duration(Duration::from_millis(5_400_005)), "PT1H30M0.005S");
/// assert_eq!(iso8601_duration(Duration::ZERO), "PT0S");
/// assert_eq!(iso8601_duration(Duration::from_secs(26 * 3600)), "P1DT2H");
/// ```
pub fn iso8601_duration(duration: Duration) -> String {
    let micros_total = duration.as_micros();
    let micros = micros_total % 1_000_000;
    let seconds_total = micros_total / 1_000_000;
    let days = seconds_total / 86_400;
    let seconds = seconds_total % 86_400;

    let mut out = String::from("P");
    // `write!` into a String cannot fail; the results are ignored on purpose.
    if days != 0 {
        let years = days / 365;
        if years != 0 {
            let _ = write!(out, "{years}Y");
        }
        let rest = days % 365;
        if rest != 0 {
            let _ = write!(out, "{rest}D");
        }
    }
    if seconds != 0 || micros != 0 {
        out.push('T');
        let hours = seconds / 3600;
        let minutes = (seconds % 3600) / 60;
        let secs = seconds % 60;
        if hours != 0 {
            let _ = write!(out, "{hours}H");
        }
        if minutes != 0 {
            let _ = write!(out, "{minutes}M");
        }
        if secs != 0 || micros != 0 {
            let _ = write!(out, "{secs}");
            if micros != 0 {
                let fraction = format!("{micros:06}");
                let _ = write!(out, ".{}", fraction.trim_end_matches('0'));
            }
            out.push('S');
        }
    }
    if days == 0 && seconds == 0 && micros == 0 {
        out.push_str("T0S");
    }
    out
}

/// The duration as Python's `timedelta.total_seconds()` would give it: whole microseconds
/// divided by one million, as a float (so one minute is `60.0`).
pub fn total_seconds(duration: Duration) -> f64 {
    // u128 -> f64 is exact below 2^53 microseconds (285 years) and correctly rounded above,
    // as is the division, which matches Python's int / int true division.
    (duration.as_micros() as f64) / 1_000_000.0
}

/// Whether the duration is at least one microsecond once truncated to Python's resolution.
pub(crate) fn is_positive_on_wire(duration: Duration) -> bool {
    duration.as_micros() > 0
}

/// Whether the duration fits a Python `timedelta` (at most [`MAX_WIRE_DAYS`] days and a
/// bit).
pub(crate) fn fits_timedelta(duration: Duration) -> bool {
    duration.as_secs() / 86_400 <= MAX_WIRE_DAYS
}
