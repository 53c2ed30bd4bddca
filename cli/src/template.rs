//! What a new revision file looks like: its id, its date, its file name and its text.
//!
//! - Ids are 12 lowercase hex digits, like Alembic's (`uuid4().hex[-12:]`), drawn from the
//!   standard library's randomly keyed hasher over the time, the process id and a counter.
//! - Dates are UTC. `SOURCE_DATE_EPOCH` (seconds since 1970-01-01 UTC, the reproducible-builds
//!   convention) replaces the clock, for reproducible files and tests.
//! - File names come from the `file_template` of `aludel.toml`
//!   (default `{year}{month}{day}_{hour}{minute}_{rev}_{slug}`), with `.sql` appended. The
//!   placeholders are Alembic's: `{rev}`, `{slug}`, `{epoch}`, `{year}`, `{month}`, `{day}`,
//!   `{hour}`, `{minute}`, `{second}` (all but `{year}` and `{epoch}` two digits).
//! - The text is the header (`revision`, `down_revision`, `branch_labels` and `depends_on` when
//!   there are any, `message` when there is one, `create_date`), a blank line, `-- upgrade`, a
//!   blank line and `-- downgrade`:
//!
//! ```sql
//! -- revision: 3f2a9c1b7d4e
//! -- down_revision: 9c0de4ab12ff
//! -- message: add users table
//! -- create_date: 2026-11-22T10:30:00Z
//!
//! -- upgrade
//!
//! -- downgrade
//! ```

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::CliError;

/// The placeholders a `file_template` may use.
pub const PLACEHOLDERS: [&str; 9] = [
    "rev", "slug", "epoch", "year", "month", "day", "hour", "minute", "second",
];

/// The environment variable that replaces the clock.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// A moment in UTC, split into its calendar parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub epoch: u64,
    /// The year, e.g. 2026.
    pub year: u64,
    /// 1 to 12.
    pub month: u64,
    /// 1 to 31.
    pub day: u64,
    /// 0 to 23.
    pub hour: u64,
    /// 0 to 59.
    pub minute: u64,
    /// 0 to 59.
    pub second: u64,
}

impl Timestamp {
    /// The moment `epoch` seconds after 1970-01-01T00:00:00Z.
    pub fn from_epoch(epoch: u64) -> Timestamp {
        let days = epoch / 86_400;
        let rest = epoch % 86_400;
        let (year, month, day) = civil_from_days(days);
        Timestamp {
            epoch,
            year,
            month,
            day,
            hour: rest / 3600,
            minute: rest % 3600 / 60,
            second: rest % 60,
        }
    }

    /// Now, or the time `SOURCE_DATE_EPOCH` names when it is set.
    pub fn now() -> Result<Timestamp, CliError> {
        if let Some(value) = std::env::var_os(SOURCE_DATE_EPOCH) {
            let text = value.to_string_lossy();
            return text
                .trim()
                .parse::<u64>()
                .map(Timestamp::from_epoch)
                .map_err(|_| CliError::Authoring {
                    message: format!(
                        "{SOURCE_DATE_EPOCH} must be a whole number of seconds since 1970-01-01 UTC, not `{text}`; unset it to use the clock"
                    ),
                });
        }
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| CliError::Authoring {
                message: format!(
                    "the system clock is set before 1970; set the clock, or set {SOURCE_DATE_EPOCH} to the time to write"
                ),
            })?;
        Ok(Timestamp::from_epoch(since.as_secs()))
    }

    /// ISO 8601 in UTC, e.g. `2026-11-22T10:30:00Z`: the `create_date` of a new revision.
    pub fn iso8601(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Year, month and day of the `days`-th day after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for dates from 1970 on).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Count from 0000-03-01, so that leap days end each 400-year era's years.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Checks the configured `timezone`: only UTC is supported.
pub fn check_timezone(timezone: &str, config_file: &str) -> Result<(), CliError> {
    if timezone.eq_ignore_ascii_case("utc") {
        return Ok(());
    }
    let what = if timezone.eq_ignore_ascii_case("local") {
        "the local time zone is not supported"
    } else {
        "time zones other than UTC are not supported"
    };
    Err(CliError::Authoring {
        message: format!(
            "timezone = \"{timezone}\" in {config_file}: {what} yet (the Rust standard library has no time zone data); aludel writes file names and create_date in UTC: set timezone = \"UTC\" or remove the line"
        ),
    })
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh revision id: 12 random lowercase hex digits, like Alembic's.
///
/// The randomness is the standard library's: a `RandomState` (keyed from the operating
/// system's random source) hashes the time, the process id and a counter.
pub fn new_revision_id() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// The message as one header line: line breaks and other control characters become spaces,
/// runs of them one space, and the ends are trimmed.
pub fn one_line(message: &str) -> String {
    message
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The slug of a message for file names: its ASCII letters and digits, lowercased, each run of
/// anything else one `_`, cut to at most `max` characters at a word boundary when one is in
/// reach (Alembic's rule), and without a `_` at either end.
pub fn slug(message: &str, max: usize) -> String {
    let words: Vec<String> = message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let full = words.join("_");
    if full.len() <= max {
        return full;
    }
    // `full` is ASCII, so any byte index is a character boundary.
    let cut = &full[..max];
    let cut = if full.as_bytes().get(max) == Some(&b'_') {
        cut
    } else {
        match cut.rfind('_') {
            Some(boundary) => &cut[..boundary],
            None => cut,
        }
    };
    cut.trim_end_matches('_').to_string()
}

/// The values of a file name's placeholders.
#[derive(Debug, Clone, Copy)]
pub struct NameParts<'a> {
    /// The revision id.
    pub rev: &'a str,
    /// The slug of the message (see [`slug`]).
    pub slug: &'a str,
    /// The time of writing.
    pub when: &'a Timestamp,
}

/// Fills in `template` (the `file_template` of `aludel.toml`) and appends `.sql` unless the
/// template ends with it. A `/` in the template makes subdirectories of the versions
/// directory. An unknown placeholder, a brace without its partner, or a name that the scan of
/// the versions directory would ignore or that leaves the directory is an error.
pub fn file_name(template: &str, parts: &NameParts<'_>) -> Result<String, CliError> {
    let bad = |what: String| CliError::Authoring {
        message: format!(
            "file_template \"{template}\" {what}; the placeholders are {}",
            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
        ),
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        if rest[open..].starts_with('}') {
            return Err(bad("has a `}` without its `{`".to_string()));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(bad("has a `{` without its `}`".to_string()));
        };
        let name = &after[..close];
        let when = parts.when;
        let value = match name {
            "rev" => parts.rev.to_string(),
            "slug" => parts.slug.to_string(),
            "epoch" => when.epoch.to_string(),
            "year" => format!("{:04}", when.year),
            "month" => format!("{:02}", when.month),
            "day" => format!("{:02}", when.day),
            "hour" => format!("{:02}", when.hour),
            "minute" => format!("{:02}", when.minute),
            "second" => format!("{:02}", when.second),
            _ => {
                let hint = aludel_graph::nearest(name, PLACEHOLDERS)
                    .map(|near| format!(" (did you mean {{{near}}}?)"))
                    .unwrap_or_default();
                return Err(bad(format!(
                    "uses the unknown placeholder {{{name}}}{hint}"
                )));
            }
        };
        out.push_str(&value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    // An empty slug (or rev) leaves separators behind: `..._abc_` becomes `..._abc`.
    let stem = out.strip_suffix(".sql").unwrap_or(&out);
    let stem = stem.trim_end_matches(['_', '-', '.', ' ']);
    let name = format!("{stem}.sql");
    for component in name.split('/') {
        if component.is_empty() || component == "." || component == ".." || component == ".sql" {
            return Err(bad(format!(
                "makes the file name `{name}`, which is empty or leaves the versions directory"
            )));
        }
        if component.contains('\\') {
            return Err(bad(format!(
                "makes the file name `{name}`; use `/` to make subdirectories"
            )));
        }
        if let Some(reason) = aludel_graph::scan::ignore_reason(component) {
            return Err(bad(format!(
                "makes the file name `{name}`, which the scan of the versions directory ignores ({reason})"
            )));
        }
    }
    Ok(name)
}

/// The header of a new revision.
#[derive(Debug, Clone, Default)]
pub struct NewRevision {
    /// The id.
    pub id: String,
    /// The parents: none for a base, several for a merge.
    pub down_revisions: Vec<String>,
    /// Branch labels the revision carries.
    pub branch_labels: Vec<String>,
    /// Revisions or branch labels it depends on.
    pub depends_on: Vec<String>,
    /// The message, on one line (see [`one_line`]).
    pub message: String,
    /// The creation date (see [`Timestamp::iso8601`]).
    pub create_date: String,
}

/// The text of a new SQL revision file, with empty upgrade and downgrade sections.
pub fn revision_text(new: &NewRevision) -> String {
    let mut text = header(new, "--");
    text.push_str("\n-- upgrade\n\n-- downgrade\n");
    text
}

/// The text of a new Rust revision file (`revision --rust`): its `//!` header, then `upgrade`
/// and `downgrade` that do nothing yet.
pub fn rust_revision_text(new: &NewRevision) -> String {
    let mut text = header(new, "//!");
    text.push_str(concat!(
        "\nuse aludel::op::Op;\n\n",
        "pub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {\n",
        "    // SQL in the revision's transaction: op.execute(\"ALTER TABLE ...\")?;\n",
        "    // typed diesel queries: op.connection::<diesel::PgConnection>()?\n",
        "    let _ = op;\n",
        "    Ok(())\n",
        "}\n\n",
        "pub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {\n",
        "    let _ = op;\n",
        "    Ok(())\n",
        "}\n",
    ));
    text
}

/// The text of a new SQL revision file whose sections hold `upgrade` and `downgrade`.
pub fn sql_revision_text(new: &NewRevision, upgrade: &str, downgrade: &str) -> String {
    let mut text = header(new, "--");
    text.push_str("\n-- upgrade\n");
    text.push_str(upgrade);
    text.push_str("\n-- downgrade\n");
    text.push_str(downgrade);
    text
}

/// The text of a new Rust revision file: `use` of `imports` (names of `aludel::op`), and
/// `upgrade` and `downgrade` with these bodies (indented statements, each line ended).
pub fn rust_revision_with(
    new: &NewRevision,
    imports: &[&str],
    upgrade: &str,
    downgrade: &str,
) -> String {
    let mut text = header(new, "//!");
    text.push_str(&format!(
        "\nuse aludel::op::{{{}}};\n\npub fn upgrade(op: &mut Op<'_>) -> aludel::Result<()> {{\n{upgrade}    Ok(())\n}}\n\npub fn downgrade(op: &mut Op<'_>) -> aludel::Result<()> {{\n{downgrade}    Ok(())\n}}\n",
        imports.join(", ")
    ));
    text
}

/// The header lines of a new revision, each starting with `prefix` (`--` or `//!`).
fn header(new: &NewRevision, prefix: &str) -> String {
    let mut text = format!("{prefix} revision: {}\n{prefix} down_revision:", new.id);
    if !new.down_revisions.is_empty() {
        text.push(' ');
        text.push_str(&new.down_revisions.join(", "));
    }
    text.push('\n');
    if !new.branch_labels.is_empty() {
        text.push_str(&format!(
            "{prefix} branch_labels: {}\n",
            new.branch_labels.join(", ")
        ));
    }
    if !new.depends_on.is_empty() {
        text.push_str(&format!(
            "{prefix} depends_on: {}\n",
            new.depends_on.join(", ")
        ));
    }
    if !new.message.is_empty() {
        text.push_str(&format!("{prefix} message: {}\n", new.message));
    }
    text.push_str(&format!("{prefix} create_date: {}\n", new.create_date));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(rev: &'a str, slug: &'a str, when: &'a Timestamp) -> NameParts<'a> {
        NameParts { rev, slug, when }
    }

    #[test]
    fn civil_dates() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_164_799, "2024-02-28T23:59:59Z"),
            (1_709_251_199, "2024-02-29T23:59:59Z"),
            (1_798_021_800, "2026-12-23T10:30:00Z"),
            (1_795_343_400, "2026-11-22T10:30:00Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
        ];
        for (epoch, iso) in cases {
            assert_eq!(Timestamp::from_epoch(epoch).iso8601(), iso, "{epoch}");
        }
        // Every day from 1970 to 2400 follows the one before it.
        let mut previous = Timestamp::from_epoch(0);
        for day in 1..(430 * 366) {
            let t = Timestamp::from_epoch(day * 86_400);
            let next_day = (t.year, t.month, t.day) > (previous.year, previous.month, previous.day);
            let step_ok = t.day == previous.day + 1
                || (t.day == 1
                    && (t.month == previous.month + 1 || (t.month == 1 && previous.month == 12)));
            assert!(
                next_day && step_ok,
                "{} after {}",
                t.iso8601(),
                previous.iso8601()
            );
            previous = t;
        }
    }

    #[test]
    fn ids_are_12_hex_digits_and_differ() {
        let a = new_revision_id();
        let b = new_revision_id();
        assert_eq!(a.len(), 12);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(aludel_graph::revision::is_valid_id(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Add users table", 40), "add_users_table");
        assert_eq!(slug("  Fix: user's e-mail!! ", 40), "fix_user_s_e_mail");
        assert_eq!(slug("café crème", 40), "caf_cr_me");
        assert_eq!(slug("", 40), "");
        assert_eq!(slug("add users table", 9), "add_users");
        assert_eq!(slug("add users table", 10), "add_users");
        assert_eq!(slug("add users table", 12), "add_users");
        assert_eq!(slug("add users table", 2), "ad");
        assert_eq!(slug("add users table", 0), "");
        assert_eq!(slug("abcdefghij", 4), "abcd");
    }

    #[test]
    fn file_names() {
        let when = Timestamp::from_epoch(1_795_343_405);
        let default = "{year}{month}{day}_{hour}{minute}_{rev}_{slug}";
        assert_eq!(
            file_name(default, &parts("3f2a9c1b7d4e", "add_users", &when)).unwrap(),
            "20261122_1030_3f2a9c1b7d4e_add_users.sql"
        );
        assert_eq!(
            file_name(default, &parts("3f2a9c1b7d4e", "", &when)).unwrap(),
            "20261122_1030_3f2a9c1b7d4e.sql"
        );
        assert_eq!(
            file_name("{epoch}-{second}/{rev}.sql", &parts("a", "s", &when)).unwrap(),
            "1795343405-05/a.sql"
        );
        let err = |t: &str| {
            file_name(t, &parts("a", "s", &when))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err("{rev}_{slg}"), "file_template \"{rev}_{slg}\" uses the unknown placeholder {slg} (did you mean {slug}?); the placeholders are {rev}, {slug}, {epoch}, {year}, {month}, {day}, {hour}, {minute}, {second}");
        assert!(err("{rev").contains("has a `{` without its `}`"));
        assert!(err("rev}").contains("has a `}` without its `{`"));
        assert!(err("../{rev}").contains("leaves the versions directory"));
        assert!(err(".{rev}").contains("ignores (dotfile)"));
        assert!(err("{slug}/").contains("leaves the versions directory"));
    }

    #[test]
    fn timezones() {
        assert!(check_timezone("UTC", "aludel.toml").is_ok());
        assert!(check_timezone("utc", "aludel.toml").is_ok());
        let err = check_timezone("local", "aludel.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the local time zone is not supported"),
            "{err}"
        );
        assert!(check_timezone("Europe/Paris", "aludel.toml").is_err());
    }

    #[test]
    fn texts_parse() {
        let new = NewRevision {
            id: "e5".into(),
            down_revisions: vec!["c2".into(), "d1".into()],
            branch_labels: vec!["feat".into()],
            depends_on: vec!["x1".into(), "lib".into()],
            message: one_line("merge\r\nthe  two heads "),
            create_date: "2026-11-22T10:30:00Z".into(),
        };
        let text = revision_text(&new);
        assert_eq!(
            text,
            "-- revision: e5\n-- down_revision: c2, d1\n-- branch_labels: feat\n-- depends_on: x1, lib\n-- message: merge the two heads\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
        );
        let (parsed, sections) =
            aludel_graph::parse_revision_file("x.sql", text.as_bytes()).unwrap();
        assert_eq!(parsed.down_revisions, ["c2", "d1"]);
        assert_eq!(parsed.branch_labels, ["feat"]);
        assert_eq!(parsed.depends_on, ["x1", "lib"]);
        assert_eq!(parsed.message, "merge the two heads");
        assert_eq!(sections.upgrade, "");
        assert_eq!(sections.downgrade.as_deref(), Some(""));

        let base = revision_text(&NewRevision {
            id: "a1".into(),
            create_date: "2026-11-22T10:30:00Z".into(),
            ..NewRevision::default()
        });
        assert_eq!(
            base,
            "-- revision: a1\n-- down_revision:\n-- create_date: 2026-11-22T10:30:00Z\n\n-- upgrade\n\n-- downgrade\n"
        );
        assert!(aludel_graph::parse_revision("a.sql", base.as_bytes())
            .unwrap()
            .down_revisions
            .is_empty());
    }
}
