//! `current_time`: the time now in UTC, at a fixed offset, or in one of a
//! small built-in table of common named zones.
//!
//! Named zones carry their standard offset and their daylight-saving rule
//! (EU, US, south-east Australia, New Zealand), which is right for the
//! current rules of those zones; historical changes are not modelled. A full
//! zone database (`chrono-tz`) would be exact but adds a large dependency for
//! a demo tool.

use pika_domain::chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday,
};
use pika_ports::PortError;
use serde_json::{json, Value};

/// Which daylight-saving rule a zone follows (one hour ahead in summer).
#[derive(Clone, Copy)]
enum Dst {
    /// No daylight saving.
    None,
    /// Last Sunday of March to last Sunday of October, at 01:00 UTC.
    Eu,
    /// Second Sunday of March 02:00 to first Sunday of November 02:00 local.
    Us,
    /// First Sunday of October to first Sunday of April, 02:00 standard time.
    AuSouth,
    /// Last Sunday of September to first Sunday of April, 02:00 standard time.
    Nz,
}

/// Named zones: name, standard offset in minutes, daylight-saving rule.
const ZONES: &[(&str, i32, Dst)] = &[
    ("UTC", 0, Dst::None),
    ("Europe/London", 0, Dst::Eu),
    ("Europe/Dublin", 0, Dst::Eu),
    ("Europe/Lisbon", 0, Dst::Eu),
    ("Europe/Paris", 60, Dst::Eu),
    ("Europe/Berlin", 60, Dst::Eu),
    ("Europe/Madrid", 60, Dst::Eu),
    ("Europe/Rome", 60, Dst::Eu),
    ("Europe/Amsterdam", 60, Dst::Eu),
    ("Europe/Brussels", 60, Dst::Eu),
    ("Europe/Vienna", 60, Dst::Eu),
    ("Europe/Zurich", 60, Dst::Eu),
    ("Europe/Stockholm", 60, Dst::Eu),
    ("Europe/Oslo", 60, Dst::Eu),
    ("Europe/Copenhagen", 60, Dst::Eu),
    ("Europe/Warsaw", 60, Dst::Eu),
    ("Europe/Prague", 60, Dst::Eu),
    ("Europe/Athens", 120, Dst::Eu),
    ("Europe/Helsinki", 120, Dst::Eu),
    ("Europe/Kyiv", 120, Dst::Eu),
    ("Europe/Bucharest", 120, Dst::Eu),
    ("Europe/Istanbul", 180, Dst::None),
    ("Europe/Moscow", 180, Dst::None),
    ("Africa/Lagos", 60, Dst::None),
    ("Africa/Johannesburg", 120, Dst::None),
    ("Africa/Nairobi", 180, Dst::None),
    ("America/New_York", -300, Dst::Us),
    ("America/Toronto", -300, Dst::Us),
    ("America/Chicago", -360, Dst::Us),
    ("America/Denver", -420, Dst::Us),
    ("America/Phoenix", -420, Dst::None),
    ("America/Los_Angeles", -480, Dst::Us),
    ("America/Vancouver", -480, Dst::Us),
    ("America/Anchorage", -540, Dst::Us),
    ("Pacific/Honolulu", -600, Dst::None),
    ("America/Mexico_City", -360, Dst::None),
    ("America/Bogota", -300, Dst::None),
    ("America/Sao_Paulo", -180, Dst::None),
    ("America/Argentina/Buenos_Aires", -180, Dst::None),
    ("Asia/Dubai", 240, Dst::None),
    ("Asia/Kolkata", 330, Dst::None),
    ("Asia/Bangkok", 420, Dst::None),
    ("Asia/Jakarta", 420, Dst::None),
    ("Asia/Shanghai", 480, Dst::None),
    ("Asia/Hong_Kong", 480, Dst::None),
    ("Asia/Singapore", 480, Dst::None),
    ("Asia/Manila", 480, Dst::None),
    ("Asia/Seoul", 540, Dst::None),
    ("Asia/Tokyo", 540, Dst::None),
    ("Australia/Perth", 480, Dst::None),
    ("Australia/Brisbane", 600, Dst::None),
    ("Australia/Sydney", 600, Dst::AuSouth),
    ("Australia/Melbourne", 600, Dst::AuSouth),
    ("Pacific/Auckland", 720, Dst::Nz),
];

/// Offsets in use anywhere, in minutes: UTC-12:00 to UTC+14:00.
const OFFSET_RANGE: std::ops::RangeInclusive<i32> = -12 * 60..=14 * 60;

/// Runs `current_time` on `input` (`{"timeZone": "..."}`, default UTC) at `now`.
pub(super) fn current_time(input: &Value, now: DateTime<Utc>) -> Result<Value, PortError> {
    let requested = ["timeZone", "timezone", "time_zone", "tz"]
        .iter()
        .find_map(|k| input.get(*k))
        .unwrap_or(&Value::Null);
    let zone = match requested {
        Value::Null => "UTC",
        Value::String(s) if s.trim().is_empty() => "UTC",
        Value::String(s) => s.trim(),
        other => {
            return Err(PortError::invalid(format!(
                "timeZone must be a string such as 'Europe/Paris', 'UTC' or '+02:00', not {other}"
            )))
        }
    };
    let (name, offset_minutes, dst) = resolve(zone, now)?;
    let offset = FixedOffset::east_opt(offset_minutes * 60)
        .ok_or_else(|| PortError::invalid(format!("offset of '{zone}' is out of range")))?;
    let local = now.with_timezone(&offset);
    Ok(json!({
        "timeZone": name,
        "utcOffset": format_offset(offset_minutes),
        "dst": dst,
        "iso": local.to_rfc3339(),
        "date": local.format("%Y-%m-%d").to_string(),
        "time": local.format("%H:%M:%S").to_string(),
        "weekday": local.format("%A").to_string(),
    }))
}

/// The zone's display name, its offset at `now` in minutes and whether
/// daylight saving is in effect.
fn resolve(zone: &str, now: DateTime<Utc>) -> Result<(String, i32, bool), PortError> {
    if let Some(minutes) = parse_offset(zone) {
        if !OFFSET_RANGE.contains(&minutes) {
            return Err(PortError::invalid(format!(
                "offset '{zone}' is out of range: offsets go from -12:00 to +14:00"
            )));
        }
        return Ok((format_offset(minutes), minutes, false));
    }
    let wanted = zone.replace(' ', "_");
    let matches = |name: &str| {
        name.eq_ignore_ascii_case(&wanted)
            || name
                .rsplit('/')
                .next()
                .is_some_and(|city| city.eq_ignore_ascii_case(&wanted))
    };
    let alias = ["GMT", "Z", "Etc/UTC", "Etc/GMT", "Zulu"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(&wanted));
    let found = if alias {
        ZONES.first()
    } else {
        ZONES.iter().find(|(name, _, _)| matches(name))
    };
    let Some((name, standard, rule)) = found else {
        let known: Vec<&str> = ZONES.iter().map(|(n, _, _)| *n).collect();
        return Err(PortError::invalid(format!(
            "unknown time zone '{zone}': use 'UTC', a fixed offset such as '+02:00' or 'UTC-05:00', \
             or one of the built-in zones: {}",
            known.join(", ")
        )));
    };
    let summer = in_dst(*rule, *standard, now);
    let offset = if summer { standard + 60 } else { *standard };
    Ok(((*name).to_string(), offset, summer))
}

/// Parses `+02:00`, `-0530`, `+2`, `UTC+2`, `GMT-03:30` into minutes east of UTC.
fn parse_offset(raw: &str) -> Option<i32> {
    let upper = raw.trim().to_ascii_uppercase();
    let rest = upper
        .strip_prefix("UTC")
        .or_else(|| upper.strip_prefix("GMT"))
        .unwrap_or(&upper)
        .trim();
    let (sign, digits) = if let Some(d) = rest.strip_prefix('+') {
        (1, d)
    } else if let Some(d) = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('\u{2212}'))
    {
        (-1, d)
    } else {
        return None;
    };
    if !digits.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    // Only ASCII from here on, so byte positions are character boundaries.
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h, m),
        None if digits.len() > 2 => digits.split_at(digits.len() - 2),
        None => (digits, "0"),
    };
    let well_formed =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !well_formed(hours) || !well_formed(minutes) {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if minutes >= 60 {
        return None;
    }
    Some(sign * (hours * 60 + minutes))
}

/// `+HH:MM` for `minutes` east of UTC.
fn format_offset(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let abs = minutes.abs();
    format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
}

/// Whether daylight saving of `rule` is in effect at `now` for a zone whose
/// standard offset is `standard` minutes.
fn in_dst(rule: Dst, standard: i32, now: DateTime<Utc>) -> bool {
    let utc = now.naive_utc();
    let local_standard = utc + Duration::minutes(i64::from(standard));
    let year = local_standard.year();
    let at = |date: Option<NaiveDate>, hour: u32| {
        date.and_then(|d| NaiveTime::from_hms_opt(hour, 0, 0).map(|t| NaiveDateTime::new(d, t)))
    };
    let within = |start: Option<NaiveDateTime>, end: Option<NaiveDateTime>, t: NaiveDateTime| matches!((start, end), (Some(s), Some(e)) if s <= t && t < e);
    let outside = |start: Option<NaiveDateTime>, end: Option<NaiveDateTime>, t: NaiveDateTime| matches!((start, end), (Some(s), Some(e)) if t >= s || t < e);
    match rule {
        Dst::None => false,
        Dst::Eu => {
            let year = utc.year();
            within(
                at(last_sunday(year, 3), 1),
                at(last_sunday(year, 10), 1),
                utc,
            )
        }
        // Ends at 02:00 daylight time, which is 01:00 standard time.
        Dst::Us => within(
            at(nth_sunday(year, 3, 2), 2),
            at(nth_sunday(year, 11, 1), 1),
            local_standard,
        ),
        // Southern hemisphere: in effect from spring to the next autumn.
        Dst::AuSouth => outside(
            at(nth_sunday(year, 10, 1), 2),
            at(nth_sunday(year, 4, 1), 2),
            local_standard,
        ),
        Dst::Nz => outside(
            at(last_sunday(year, 9), 2),
            at(nth_sunday(year, 4, 1), 2),
            local_standard,
        ),
    }
}

/// The `n`th Sunday of `month` in `year`.
fn nth_sunday(year: i32, month: u32, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n)
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    nth_sunday(year, month, 5).or_else(|| nth_sunday(year, month, 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pika_domain::chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
    }

    #[test]
    fn offsets_parse_in_every_spelling() {
        for (raw, minutes) in [
            ("+02:00", 120),
            ("-05:30", -330),
            ("+0530", 330),
            ("+2", 120),
            ("UTC+2", 120),
            ("utc-03:30", -210),
            ("GMT+1", 60),
            ("\u{2212}04:00", -240),
        ] {
            assert_eq!(parse_offset(raw), Some(minutes), "{raw}");
        }
        for raw in ["Europe/Paris", "+", "+2:75", "+123:00", "2", "UTC"] {
            assert_eq!(parse_offset(raw), None, "{raw}");
        }
    }

    #[test]
    fn eu_daylight_saving_switches_at_one_utc() {
        // 2025: last Sunday of March is the 30th, of October the 26th.
        assert!(!in_dst(Dst::Eu, 60, utc(2025, 3, 30, 0, 59)));
        assert!(in_dst(Dst::Eu, 60, utc(2025, 3, 30, 1, 0)));
        assert!(in_dst(Dst::Eu, 60, utc(2025, 10, 26, 0, 59)));
        assert!(!in_dst(Dst::Eu, 60, utc(2025, 10, 26, 1, 0)));
    }

    #[test]
    fn us_daylight_saving_follows_local_time() {
        // 2025: 9 March 02:00 EST = 07:00 UTC; 2 November 02:00 EDT = 06:00 UTC.
        assert!(!in_dst(Dst::Us, -300, utc(2025, 3, 9, 6, 59)));
        assert!(in_dst(Dst::Us, -300, utc(2025, 3, 9, 7, 0)));
        assert!(in_dst(Dst::Us, -300, utc(2025, 11, 2, 5, 59)));
        assert!(!in_dst(Dst::Us, -300, utc(2025, 11, 2, 6, 0)));
    }

    #[test]
    fn southern_daylight_saving_spans_the_new_year() {
        assert!(in_dst(Dst::AuSouth, 600, utc(2025, 1, 15, 0, 0)));
        assert!(!in_dst(Dst::AuSouth, 600, utc(2025, 7, 15, 0, 0)));
        assert!(in_dst(Dst::Nz, 720, utc(2025, 12, 1, 0, 0)));
        assert!(!in_dst(Dst::Nz, 720, utc(2025, 6, 1, 0, 0)));
    }
}
