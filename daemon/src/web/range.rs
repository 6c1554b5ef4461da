//! The one `Range: bytes=...` form a browser's video player sends (a single range), so
//! that a recording can be seeked without downloading it whole.

/// What to send of a file of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// No usable range: the whole file (200).
    Whole,
    /// Bytes `start..=end` (206).
    Part { start: u64, end: u64 },
    /// A range outside the file (416).
    Unsatisfiable,
}

/// Reads a `Range` header value. Forms other than one byte range (several ranges, other
/// units, garbage) are ignored, as RFC 9110 allows: the whole file is sent.
pub fn wanted(header: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    let range = match (first.is_empty(), last.is_empty()) {
        // `bytes=-N`: the last N bytes.
        (true, false) => match parse(last) {
            Some(0) => return Wanted::Unsatisfiable,
            Some(n) => (len.saturating_sub(n), len.checked_sub(1)),
            None => return Wanted::Whole,
        },
        // `bytes=A-`: from A to the end.
        (false, true) => match parse(first) {
            Some(a) => (a, len.checked_sub(1)),
            None => return Wanted::Whole,
        },
        (false, false) => match (parse(first), parse(last)) {
            (Some(a), Some(b)) if a <= b => (a, Some(b.min(len.saturating_sub(1)))),
            _ => return Wanted::Whole,
        },
        (true, true) => return Wanted::Whole,
    };
    match range {
        (start, Some(end)) if start < len && start <= end => Wanted::Part { start, end },
        _ => Wanted::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_a_player_sends_give_the_bytes_it_asked_for() {
        assert_eq!(
            wanted(Some("bytes=0-"), 100),
            Wanted::Part { start: 0, end: 99 }
        );
        assert_eq!(
            wanted(Some("bytes=10-19"), 100),
            Wanted::Part { start: 10, end: 19 }
        );
        assert_eq!(
            wanted(Some("bytes=90-500"), 100),
            Wanted::Part { start: 90, end: 99 }
        );
        assert_eq!(
            wanted(Some("bytes=-30"), 100),
            Wanted::Part { start: 70, end: 99 }
        );
        assert_eq!(
            wanted(Some("bytes=-300"), 100),
            Wanted::Part { start: 0, end: 99 }
        );
    }

    #[test]
    fn a_range_past_the_end_is_unsatisfiable_and_odd_forms_get_the_whole_file() {
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        for odd in [
            "bytes=0-1,5-9",
            "items=0-5",
            "bytes=9-2",
            "bytes=x-",
            "bytes=-",
        ] {
            assert_eq!(wanted(Some(odd), 100), Wanted::Whole, "{odd}");
        }
        assert_eq!(wanted(None, 100), Wanted::Whole);
    }
}
