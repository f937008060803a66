"""gen-man.py: writes leakgate(1) from the real `leakgate --help` and `leakgate gdb --help`
and the hand-written docs/leakgate.1.in, so that the man page says what --help says.

The help text is cut into blocks at blank lines: the usage lines, the untitled summary, and
titled blocks ("TARGET:" over indented items, "counters: ..." as a paragraph). Each block
replaces the template's line @KEY@ (KEY: usage, summary, the title in lower case with
spaces as underscores, gdb_usage, gdb_summary, version, prefix). A block of --help that
the template does not place, or a placeholder that --help does not fill, is an error: a
new --help section cannot be missing from the man page.

Usage: python3 docs/gen-man.py LEAKGATE TEMPLATE PREFIX > leakgate.1
"""
import re
import subprocess
import sys


def esc(text):
    """Roff-escaped text: backslashes, hyphens (so that options copy as ASCII) and a
    leading control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def term(words):
    """An item's term: options in bold, their arguments in italics."""
    out = []
    for word in words.split(" "):
        comma = "," if word.endswith(",") else ""
        word = word.rstrip(",")
        if word.startswith("-"):
            opt, eq, arg = word.partition("=")
            text = "\\fB" + esc(opt) + "\\fR"
            if eq:
                text += "=\\fI" + esc(arg) + "\\fR"
        else:
            text = "\\fI" + esc(word) + "\\fR"
        out.append(text + comma)
    return " ".join(out)


def items(lines):
    """Indented "  TERM   text" lines, text continued on deeper lines, as .TP entries.
    The text's column is the continuation lines' indent (a term may leave only one
    space before it)."""
    indents = [len(l) - len(l.lstrip(" ")) for l in lines]
    col = min([i for i in indents if i > 8] or [max(len(l) for l in lines) + 1])
    out = []
    for line, indent in zip(lines, indents):
        if 1 <= indent <= 8:
            if line[col - 1:col].strip():
                sys.exit("gen-man: this --help item runs into its text: %r" % line)
            out += [".TP", term(line[:col].strip())]
            if line[col:].strip():
                out.append(esc(line[col:].strip()))
        elif indent == col and out:
            out.append(esc(line.strip()))
        else:
            sys.exit("gen-man: cannot place this --help line: %r" % line)
    return out


def blocks(text, prefix=""):
    """{key: roff lines} for one --help text."""
    found = {}
    paragraphs = [p.split("\n") for p in text.strip("\n").split("\n\n")]
    usage = [re.sub(r"^(usage:)? +", "", line) for line in paragraphs[0]]
    found[prefix + "usage"] = [".nf"] + [esc(line) for line in usage] + [".fi"]
    for para in paragraphs[1:]:
        title = re.match(r"^([A-Za-z][A-Za-z ]*):(?: (.*))?$", para[0])
        if not title:
            key, body = "summary", [esc(line) for line in para]
        elif title.group(2) is None:
            key, body = title.group(1), items(para[1:])
        else:
            key = title.group(1)
            body = [esc(title.group(2))] + [esc(line) for line in para[1:]]
        key = prefix + key.lower().replace(" ", "_")
        if key in found:
            sys.exit("gen-man: two --help blocks named %s" % key)
        found[key] = body
    return found


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen-man.py LEAKGATE TEMPLATE PREFIX")
    exe, template, prefix = sys.argv[1:]

    def run(*args):
        return subprocess.run([exe] + list(args), check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout

    found = blocks(run("--help"))
    found.update(blocks(run("gdb", "--help"), "gdb_"))
    found["version"] = [run("--version").split()[-1]]
    found["prefix"] = [esc(prefix)]
    used = set()
    out = []
    with open(template) as f:
        for line in f.read().split("\n"):
            for key in re.findall(r"@([a-z_]+)@", line):
                if key not in found:
                    sys.exit("gen-man: %s: --help has no block for @%s@" % (template, key))
                used.add(key)
                if line == "@%s@" % key:
                    line = "\n".join(found[key])
                else:
                    line = line.replace("@%s@" % key, " ".join(found[key]))
            out.append(line)
    unused = sorted(set(found) - used)
    if unused:
        sys.exit("gen-man: %s does not place --help's %s" % (template, ", ".join(unused)))
    sys.stdout.write("\n".join(out))


main()
