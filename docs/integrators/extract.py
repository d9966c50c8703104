"""Takes the runnable examples out of docs/integrators.md: every fenced block whose info
string is `sh example=NAME` or `python example=NAME` (optionally `needs=TOOL`) is written to
OUT/NAME.sh or OUT/NAME.py, exactly as the reader sees it, so what CI runs is what the guide
shows. Prints one line per example, `NAME EXT NEEDS`, in the guide's order; fails when a
name repeats or a block is left unclosed.

    python3 extract.py docs/integrators.md OUT
"""

import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```(sh|python)((?:\s+\w+=[\w.-]+)+)\s*$")
EXT = {"sh": "sh", "python": "py"}


def examples(text: str):
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i].rstrip("\n"))
        i += 1
        if not m:
            continue
        attrs = dict(a.split("=", 1) for a in m.group(2).split())
        if "example" not in attrs:
            continue
        body = []
        while i < len(lines) and lines[i].rstrip("\n") != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise SystemExit(f"example {attrs['example']}: the block is not closed")
        i += 1
        yield attrs["example"], EXT[m.group(1)], attrs.get("needs", "-"), "".join(body)


def main() -> None:
    guide, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    seen = set()
    for name, ext, needs, body in examples(guide.read_text(encoding="utf-8")):
        if name in seen:
            raise SystemExit(f"example {name} appears twice in {guide}")
        seen.add(name)
        (out / f"{name}.{ext}").write_text(body, encoding="utf-8")
        print(name, ext, needs)


if __name__ == "__main__":
    main()
