#!/usr/bin/env python3
"""A strict OpenMetrics 1.0 text-format checker for the metrics tests.

    openmetrics_check.py PREFIX [FILE]     (stdin without FILE)

Reads one exposition and checks the text format's rules:
  * the last line is "# EOF" (one optional final newline), no blank lines;
  * comment lines are only "# TYPE name type", "# HELP name text" and
    "# UNIT name unit", each at most once per family, TYPE first;
  * family names are unique, [a-zA-Z_:][a-zA-Z0-9_:]*, start with PREFIX,
    and do not end in a suffix the format gives sample names;
  * a family's samples follow its TYPE and are not interleaved with
    another family's; a sample's name is the family's plus the type's
    suffix (counter: _total, info: _info, gauge: none);
  * UNIT is the family name's last "_word";
  * labels: valid names, no repeats, quoted values with only the \\\\, \\"
    and \\n escapes; no two samples of a family with the same label set;
  * counters are non-negative integers (what our counters are), info
    values are 1, gauges are OpenMetrics numbers.
Prints, on success, one JSON object: {"families": {name: type},
"samples": {"name{k=v,...}": value}} with labels sorted by name.  On
the first violation prints "line N: why" on stderr and exits 1.
"""
import json
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
# OpenMetrics "realnumber" (and the special values)
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z|[+-]?(Inf|inf)\Z|NaN\Z")
RESERVED = ("_total", "_created", "_info", "_count", "_sum", "_bucket", "_gcount", "_gsum")
TYPES = ("counter", "gauge", "info", "stateset", "histogram", "gaugehistogram", "summary",
         "unknown")
SUFFIX = {"counter": ("_total",), "info": ("_info",), "gauge": ("",)}


class Bad(Exception):
    pass


def parse_labels(text, pos):
    """text[pos] == '{'; returns (labels, index after '}')."""
    labels = {}
    i = pos + 1
    if i < len(text) and text[i] == "}":
        return labels, i + 1
    while True:
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(text, i)
        if not m:
            raise Bad("bad label name")
        name = m.group(0)
        i = m.end()
        if text[i:i + 2] != '="':
            raise Bad("label %s: expected =\"" % name)
        i += 2
        val = []
        while True:
            if i >= len(text):
                raise Bad("unterminated label value")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt == "\\":
                    val.append("\\")
                elif nxt == '"':
                    val.append('"')
                elif nxt == "n":
                    val.append("\n")
                else:
                    raise Bad("bad escape \\%s in label %s" % (nxt, name))
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                raise Bad("raw newline in label value")
            val.append(c)
            i += 1
        if name in labels:
            raise Bad("label %s repeated" % name)
        labels[name] = "".join(val)
        if text[i:i + 1] == ",":
            i += 1
            if text[i:i + 1] == "}":  # a trailing comma is allowed
                return labels, i + 1
            continue
        if text[i:i + 1] == "}":
            return labels, i + 1
        raise Bad("expected , or } after label %s" % name)


def check(text, prefix):
    if not text.endswith("# EOF\n") and not text.endswith("# EOF"):
        raise Bad("does not end with # EOF")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    families = {}       # name -> type
    done = set()        # families closed by a later one
    meta_seen = {}      # name -> set of descriptor kinds
    units = {}
    current = None
    samples = {}
    labelsets = {}
    for n, line in enumerate(lines, 1):
        try:
            if n == len(lines):
                if line != "# EOF":
                    raise Bad("last line is not # EOF")
                break
            if line == "":
                raise Bad("blank line")
            if line == "# EOF":
                raise Bad("# EOF before the end")
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("TYPE", "HELP", "UNIT"):
                    raise Bad("bad comment line")
                if len(parts) == 3 and parts[1] != "HELP":
                    raise Bad("%s without a value" % parts[1])
                kind, name = parts[1], parts[2]
                value = parts[3] if len(parts) > 3 else ""
                if not NAME.match(name):
                    raise Bad("bad family name %r" % name)
                if kind == "TYPE":
                    if name in families:
                        raise Bad("family %s announced twice" % name)
                    if value not in TYPES:
                        raise Bad("bad type %r" % value)
                    if value not in SUFFIX:
                        raise Bad("type %s not expected from our programs" % value)
                    if not name.startswith(prefix):
                        raise Bad("family %s lacks the prefix %s" % (name, prefix))
                    if name.endswith(RESERVED):
                        raise Bad("family %s ends in a reserved suffix" % name)
                    if current is not None:
                        done.add(current)
                    families[name] = value
                    meta_seen[name] = {"TYPE"}
                    current = name
                    continue
                if name != current:
                    raise Bad("%s for %s outside its family (TYPE first)" % (kind, name))
                if kind in meta_seen[name]:
                    raise Bad("%s repeated for %s" % (kind, name))
                meta_seen[name].add(kind)
                if kind == "UNIT":
                    if not LABEL_NAME.match(value) or not name.endswith("_" + value):
                        raise Bad("unit %r is not the suffix of %s" % (value, name))
                    units[name] = value
                elif kind == "HELP":
                    # escapes as in label values
                    for m in re.finditer(r"\\(.?)", value):
                        if m.group(1) not in ("\\", '"', "n"):
                            raise Bad("bad escape in HELP")
                continue
            m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(line)
            if not m:
                raise Bad("bad sample name")
            sname = m.group(0)
            i = m.end()
            labels = {}
            if line[i:i + 1] == "{":
                labels, i = parse_labels(line, i)
            if line[i:i + 1] != " ":
                raise Bad("expected one space before the value")
            rest = line[i + 1:].split(" ")
            if len(rest) not in (1, 2) or rest[0] == "":
                raise Bad("bad value/timestamp")
            value = rest[0]
            if current is None:
                raise Bad("sample before any TYPE")
            fam = None
            for suf in SUFFIX[families[current]]:
                if sname == current + suf:
                    fam = current
            if fam is None:
                for f in done:
                    for suf in SUFFIX[families[f]]:
                        if sname == f + suf:
                            raise Bad("sample of %s interleaved after %s started" % (f, current))
                raise Bad("sample %s does not belong to family %s" % (sname, current))
            t = families[fam]
            if not NUMBER.match(value):
                raise Bad("bad number %r" % value)
            if t == "counter":
                if not re.fullmatch(r"\d+", value):
                    raise Bad("counter %s value %r is not a non-negative integer" % (sname, value))
                v = int(value)
            elif t == "info":
                if value != "1":
                    raise Bad("info value %r is not 1" % value)
                v = 1
            else:
                v = int(value) if re.fullmatch(r"-?\d+", value) else float(value)
            key = tuple(sorted(labels.items()))
            seen = labelsets.setdefault(sname, set())
            if key in seen:
                raise Bad("sample %s repeats a label set" % sname)
            seen.add(key)
            samples[sname + "{" + ",".join("%s=%s" % kv for kv in key) + "}"] = v
        except Bad as e:
            print("line %d: %s: %r" % (n, e, line), file=sys.stderr)
            sys.exit(1)
    return {"families": families, "samples": samples, "units": units}


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if len(sys.argv) == 3:
        with open(sys.argv[2], encoding="utf-8") as f:
            text = f.read()
    else:
        text = sys.stdin.read()
    if text == "":
        print("line 0: empty exposition", file=sys.stderr)
        sys.exit(1)
    try:
        result = check(text, sys.argv[1])
    except Bad as e:
        print("end: %s" % e, file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
