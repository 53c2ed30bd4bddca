//! diesel.toml's `patch_file`: a unified diff applied to the printed schema, as diesel
//! print-schema applies it (each hunk where its header says, its context and removed lines
//! matching exactly).

/// Why a patch does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the patch does not apply: {0}")]
pub struct PatchError(String);

/// One line of a hunk.
enum Line<'a> {
    Context(&'a str),
    Remove(&'a str),
    Add(&'a str, bool),
}

/// `text` with the unified diff `patch` applied.
pub fn apply_patch(text: &str, patch: &str) -> Result<String, PatchError> {
    apply(text, patch, false)
}

/// `text` with the unified diff `patch` taken back: what `text` was before `patch` was
/// applied to it, where `text` is a patched schema edited since. Each hunk's lines are looked
/// for where its header says, else at the nearest place after the previous hunk where they
/// all stand (the text may have gained or lost lines above it).
pub fn unapply_patch(text: &str, patch: &str) -> Result<String, PatchError> {
    apply(text, &reverse(patch), true)
}

/// `patch` the other way round: additions removed, removals added, each hunk's ranges swapped.
fn reverse(patch: &str) -> String {
    let mut out = String::with_capacity(patch.len());
    for line in patch.lines() {
        if let Some(header) = line.strip_prefix("@@ -") {
            let mut words = header.splitn(3, ' ');
            let (old, new, rest) = (words.next(), words.next(), words.next());
            match (old, new.and_then(|n| n.strip_prefix('+'))) {
                (Some(old), Some(new)) => {
                    out.push_str(&format!("@@ -{new} +{old}"));
                    if let Some(rest) = rest {
                        out.push(' ');
                        out.push_str(rest);
                    }
                }
                _ => out.push_str(line),
            }
        } else if line.starts_with("--- ") || line.starts_with("+++ ") {
            out.push_str(line);
        } else if let Some(rest) = line.strip_prefix('-') {
            out.push('+');
            out.push_str(rest);
        } else if let Some(rest) = line.strip_prefix('+') {
            out.push('-');
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Whether the lines a hunk expects stand at `at`.
fn matches_at(original: &[&str], at: usize, body: &[Line<'_>]) -> bool {
    let mut i = at;
    for line in body {
        if let Line::Context(expected) | Line::Remove(expected) = line {
            match original.get(i) {
                Some(found) if found.trim_end_matches('\n') == *expected => i += 1,
                _ => return false,
            }
        }
    }
    true
}

fn apply(text: &str, patch: &str, shifted: bool) -> Result<String, PatchError> {
    let original: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    // The next line of `original` not yet copied (0-based).
    let mut next = 0usize;
    let mut lines = patch.lines().peekable();
    let mut hunks = 0;
    while let Some(line) = lines.next() {
        let Some(header) = line.strip_prefix("@@ -") else {
            continue;
        };
        hunks += 1;
        let old = header.split_whitespace().next().unwrap_or_default();
        let (start, count) = match old.split_once(',') {
            Some((start, count)) => (start, count),
            None => (old, "1"),
        };
        let bad_header = || PatchError(format!("hunk {hunks} has a malformed header `{line}`"));
        let start: usize = start.parse().map_err(|_| bad_header())?;
        let count: usize = count.parse().map_err(|_| bad_header())?;
        let mut body = Vec::new();
        while let Some(&line) = lines.peek() {
            if line.starts_with("@@ ") || line.starts_with("--- ") || line.starts_with("diff ") {
                break;
            }
            lines.next();
            let no_newline = lines.peek().is_some_and(|l| l.starts_with('\\'));
            match line.split_at_checked(1) {
                Some((" ", rest)) => body.push(Line::Context(rest)),
                Some(("-", rest)) => body.push(Line::Remove(rest)),
                Some(("+", rest)) => body.push(Line::Add(rest, !no_newline)),
                Some(("\\", _)) => {}
                // An empty line of context whose leading space was trimmed.
                None => body.push(Line::Context("")),
                Some(_) => {
                    return Err(PatchError(format!(
                        "hunk {hunks} has a line that is not context, removal or addition: `{line}`"
                    )))
                }
            }
        }
        // A hunk removing nothing from an empty range inserts after line `start`.
        let first = if count == 0 {
            start
        } else {
            start.saturating_sub(1)
        };
        // Shifted: the nearest place after the previous hunk where the hunk's lines stand.
        let first = if shifted && !matches_at(&original, first, &body) {
            let distance = |at: usize| at.abs_diff(first);
            (next..=original.len())
                .filter(|&at| matches_at(&original, at, &body))
                .min_by_key(|&at| distance(at))
                .unwrap_or(first)
        } else {
            first
        };
        if first < next || first > original.len() {
            return Err(PatchError(format!(
                "hunk {hunks} starts at line {start}, outside the text or before the previous hunk"
            )));
        }
        out.extend(original[next..first].iter().copied());
        next = first;
        for line in body {
            match line {
                Line::Context(expected) | Line::Remove(expected) => {
                    let found = original.get(next).copied().unwrap_or_default();
                    if found.trim_end_matches('\n') != expected {
                        return Err(PatchError(format!(
                            "hunk {hunks} expects `{expected}` at line {}, and the schema has `{}`",
                            next + 1,
                            found.trim_end_matches('\n')
                        )));
                    }
                    if matches!(line, Line::Context(_)) {
                        out.push_str(found);
                    }
                    next += 1;
                }
                Line::Add(added, newline) => {
                    out.push_str(added);
                    if newline {
                        out.push('\n');
                    }
                }
            }
        }
    }
    if hunks == 0 && !patch.trim().is_empty() {
        return Err(PatchError("it has no hunk (`@@ -l,s +l,s @@`)".into()));
    }
    out.extend(original[next..].iter().copied());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a\nb\nc\nd\ne\n";

    #[test]
    fn hunks_apply_where_their_headers_say() {
        let patch = "--- a/schema.rs\n+++ b/schema.rs\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -5,1 +5,2 @@\n e\n+f\n";
        assert_eq!(apply_patch(TEXT, patch).unwrap(), "a\nB\nc\nd\ne\nf\n");
        let insert = "@@ -2,0 +3,1 @@\n+x\n";
        assert_eq!(apply_patch(TEXT, insert).unwrap(), "a\nb\nx\nc\nd\ne\n");
        assert_eq!(apply_patch(TEXT, "").unwrap(), TEXT);
    }

    #[test]
    fn a_patch_comes_off_a_text_edited_since() {
        let patch = "--- a/schema.rs\n+++ b/schema.rs\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -5,1 +5,2 @@\n e\n+f\n";
        let patched = apply_patch(TEXT, patch).unwrap();
        assert_eq!(unapply_patch(&patched, patch).unwrap(), TEXT);
        // Lines added above and between the hunks since.
        let edited = format!("new\n{}", patched.replace("d\n", "d\nd2\n"));
        assert_eq!(
            unapply_patch(&edited, patch).unwrap(),
            "new\na\nb\nc\nd\nd2\ne\n"
        );
        // A hunk whose lines are gone.
        assert!(unapply_patch("a\nc\n", patch).is_err());
    }

    #[test]
    fn a_patch_that_does_not_match_is_an_error() {
        let error = apply_patch(TEXT, "@@ -1,2 +1,2 @@\n a\n-x\n+y\n").unwrap_err();
        assert!(
            error.to_string().contains("expects `x` at line 2"),
            "{error}"
        );
        assert!(apply_patch(TEXT, "@@ -9,1 +9,1 @@\n-z\n").is_err());
        assert!(apply_patch(TEXT, "not a patch\n").is_err());
        assert!(apply_patch(TEXT, "@@ -x +1 @@\n").is_err());
    }
}
