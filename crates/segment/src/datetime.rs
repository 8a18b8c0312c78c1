//! Payload datetimes: the RFC 3339 variants Qdrant accepts, as UTC microseconds.

/// Parses a datetime string into microseconds since the Unix epoch (UTC).
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T` or a space and
/// `HH:MM[:SS[.fraction]]`, optionally followed (after an optional space) by
/// `Z`, `z`, `UTC` or a `±HH:MM` / `±HHMM` offset. Without a zone the time is
/// taken as UTC. Returns `None` for anything else.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let s = text.trim_start().as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = s.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0, 4)?;
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * 86_400_000_000;
    let mut pos = 10;
    if pos == s.len() {
        return Some(micros);
    }
    if s[pos] != b'T' && s[pos] != b' ' {
        return None;
    }
    pos += 1;
    let (hour, minute) = (num(pos, 2)?, num(pos + 3, 2)?);
    if s.get(pos + 2) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    pos += 5;
    let mut second = 0;
    let mut fraction = 0;
    if s.get(pos) == Some(&b':') {
        second = num(pos + 1, 2)?;
        if second > 60 {
            return None;
        }
        pos += 3;
        if s.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while pos < s.len() && s[pos].is_ascii_digit() {
                pos += 1;
            }
            if pos == start {
                return None;
            }
            let digits = &text.trim_start()[start..pos.min(start + 6)];
            fraction = digits.parse::<i64>().ok()? * 10_i64.pow(6 - digits.len() as u32);
        }
    }
    micros += ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction;
    let rest = std::str::from_utf8(&s[pos..]).ok()?;
    let zone = rest.strip_prefix(' ').unwrap_or(rest);
    let offset_minutes = match zone {
        "" if rest.is_empty() => 0,
        "Z" | "z" | "UTC" => 0,
        _ => {
            let sign = match zone.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) || zone.len() > 6 {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    Some(micros - offset_minutes * 60_000_000)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_accepted_forms() {
        let base = parse_datetime("2014-01-01T00:00:00Z").unwrap();
        assert_eq!(base, 1_388_534_400_000_000);
        for same in [
            "2014-01-01",
            "2014-01-01T00:00",
            "2014-01-01 00:00:00",
            "2014-01-01T00:00:00.000",
            "2014-01-01T01:00:00+01:00",
            "2014-01-01T01:00:00 +0100",
            "2013-12-31T23:00:00-01:00",
            "2014-01-01 00:00:00 UTC",
            "  2014-01-01T00:00:00z",
        ] {
            assert_eq!(parse_datetime(same), Some(base), "{same}");
        }
        assert_eq!(
            parse_datetime("2014-01-01T00:00:00.5Z"),
            Some(base + 500_000)
        );
        assert_eq!(
            parse_datetime("2014-01-01T00:00:00.123456789"),
            Some(base + 123_456)
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "x",
            "2014-13-01",
            "2014-02-30",
            "2014-01-01T25:00",
            "2014-01-01X",
            "2014-01-01T00:00:00+1",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
