"""Hand-written prose with figures, for the scripts that write BENCHMARKS.md.

A script's section may only hold figures that the script measured in its run, or figures
marked as quoted with where and when they came from. Prose written by hand (bench/NOTES.md,
the fixed paragraphs of scripts/reliability.sh) says which is which:

    {{name}}          a figure of this run, filled in by the script (`values[name]`); a name
                      the run did not measure becomes "not measured in this run"
    {{KEY: text}}     text holding figures that this run did not measure, quoted from the
                      source KEY; rendered as "text [KEY]"
    [KEY]: source     (a line of its own) where and when KEY's figures came from; rendered as a
                      list at the end of the prose

`check` refuses prose with a figure outside these (a digit that does not belong to a word such
as SHA-256, outside `code` and the numbers of a list's items), an unknown name, an undefined or unused KEY. `render` checks, then
fills in. As a program: `figures.py check FILE NAME...` checks FILE, knowing NAMEs.
"""

import re
import sys

PLACEHOLDER = re.compile(r"\{\{([a-z][a-z0-9_.]*)\}\}")
QUOTED = re.compile(r"\{\{([A-Z][A-Za-z0-9]*): ([^{}]+)\}\}")
SOURCE = re.compile(r"^\[([A-Z][A-Za-z0-9]*)\]: (.+)$")
CODE = re.compile(r"`[^`]*`")
LIST_ITEM = re.compile(r"^\s*\d+\.\s")  # the number of an ordered list's item
# A digit that starts a number: not inside a word (SHA-256, x86, s3) nor after a decimal point.
FIGURE = re.compile(r"(?<![\w.\-])\d")
NOT_MEASURED = "not measured in this run"


class FiguresError(Exception):
    """Prose that breaks the rules above; the message lists at most ten problems."""


def _sources(text):
    """The source lines, and the text with each of them left as an empty line."""
    sources, body = {}, []
    for line in text.splitlines():
        m = SOURCE.match(line)
        if m:
            sources[m.group(1)] = m.group(2)
            body.append("")
        else:
            body.append(line)
    return sources, "\n".join(body)


def problems(text, names):
    """What breaks the rules in `text`, given the placeholder names the script fills."""
    found = []
    sources, body = _sources(text)
    used = set()
    for m in QUOTED.finditer(body):
        used.add(m.group(1))
        if m.group(1) not in sources:
            found.append(f"{{{{{m.group(1)}: …}}}} has no source line `[{m.group(1)}]: …`")
    for key in sorted(set(sources) - used):
        found.append(f"source [{key}] is never used")
    for m in PLACEHOLDER.finditer(body):
        if m.group(1) not in names:
            found.append(f"{{{{{m.group(1)}}}}} is not a figure this script measures")
    # What is left once the marked figures are gone (a span may cross lines: keep the count).
    keep_lines = lambda m: "\n" * m.group(0).count("\n")
    bare = PLACEHOLDER.sub(keep_lines, QUOTED.sub(keep_lines, body))
    for number, (line, original) in enumerate(zip(bare.splitlines(), text.splitlines()), 1):
        line = CODE.sub("", LIST_ITEM.sub("", line))
        if "{{" in line or "}}" in line:
            found.append(f"line {number}: a malformed {{{{…}}}}: {original.strip()}")
        elif FIGURE.search(line):
            found.append(f"line {number}: a figure neither measured ({{{{name}}}}) nor quoted ({{{{KEY: …}}}}): {original.strip()}")
    return found


def check(text, names, what):
    """Raises FiguresError when `text` (named `what` in the message) breaks the rules."""
    found = problems(text, names)
    if found:
        shown = found[:10]
        more = f"\n  … and {len(found) - 10} more" if len(found) > 10 else ""
        raise FiguresError(f"{what}: {len(found)} problem(s): every figure must be this run's ({{{{name}}}}) or quoted ({{{{KEY: …}}}} with a line `[KEY]: source`)\n  "
                           + "\n  ".join(shown) + more)


def render(text, values, what):
    """Checks `text`, then fills in this run's figures and renders the quoted ones."""
    check(text, set(values), what)
    sources, _ = _sources(text)
    body = "\n".join(line for line in text.splitlines() if not SOURCE.match(line))
    body = re.sub(r"\n{3,}", "\n\n", body)

    def fill(m):
        value = values.get(m.group(1))
        return NOT_MEASURED if value is None else value

    body = PLACEHOLDER.sub(fill, body)
    body = QUOTED.sub(lambda m: f"{m.group(2)} [{m.group(1)}]", body)
    body = body.rstrip("\n")
    if sources:
        body += "\n\nQuoted figures (marked [KEY] above): measured once, outside this run, and not rerun by this script.\n\n"
        body += "\n".join(f"- [{key}] {source}" for key, source in sources.items())
    return body


def main(argv):
    if len(argv) < 3 or argv[1] != "check":
        sys.exit("usage: figures.py check FILE [NAME...]")
    path = argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            check(f.read(), set(argv[3:]), path)
    except FiguresError as error:
        sys.exit(f"error: {error}")


if __name__ == "__main__":
    main(sys.argv)
