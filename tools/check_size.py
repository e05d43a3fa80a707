#!/usr/bin/env python3
"""Size limits of the code base (STYLE.md, "Naming and size"):

- no function in the given folders longer than --max-function lines (body, braces included);
- no file under --file-limit-dir longer than --max-file lines.

  tools/check_size.py [--max-function 60] [--max-file 500] [--file-limit-dir engine] DIR...

Functions are found by their braces: a '{' at namespace or class scope whose text before it ends
in a parameter list (and is not a class, struct, enum, namespace or initialiser) opens a function;
lambdas and local blocks count toward the function around them. Comments, strings and character
literals are blanked first. Exit status 1 (with one line per finding) when a limit is passed.
"""
import argparse
import pathlib
import re
import sys

SOURCE = {".cpp", ".hpp", ".h", ".cc", ".inc"}
NOT_FUNCTION = re.compile(r"\b(class|struct|union|enum|namespace|extern)\b[^()]*$")


def blank(text: str) -> str:
    """Comments, strings and char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and (text[i - 1].isalnum()):  # digit separator 1'000
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text: str):
    """(name, first line, line count) of each function body at namespace or class scope."""
    code = blank(text)
    stack = []  # per open brace: ("fn", start line, name) or ("scope",) or ("block",)
    last = 0  # where the text before the next brace starts
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c in ";":
            if not any(s[0] == "fn" for s in stack):
                last = i + 1
        elif c == "{":
            inside_fn = any(s[0] == "fn" for s in stack)
            head = code[last:i].strip()
            if inside_fn:
                stack.append(("block",))
            elif head.endswith(("=", ",", "(", "return")) or not head:
                stack.append(("block",))
            elif NOT_FUNCTION.search(head) or ")" not in head:
                stack.append(("scope",))
            else:
                name = re.findall(r"([~\w:<>]+)\s*\(", head)
                stack.append(("fn", line, name[0] if name else head[-40:]))
            last = i + 1
        elif c == "}":
            if stack:
                top = stack.pop()
                if top[0] == "fn":
                    yield top[2], top[1], line - top[1] + 1
            if not any(s[0] == "fn" for s in stack):
                last = i + 1
    return


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--max-function", type=int, default=60)
    ap.add_argument("--max-file", type=int, default=500)
    ap.add_argument("--file-limit-dir", action="append", default=[])
    args = ap.parse_args()
    bad = 0
    for d in args.dirs:
        for path in sorted(pathlib.Path(d).rglob("*")):
            if path.suffix not in SOURCE or not path.is_file():
                continue
            text = path.read_text(errors="replace")
            for name, start, count in functions(text):
                if count > args.max_function:
                    print(f"{path}:{start}: function {name} is {count} lines "
                          f"(limit {args.max_function})")
                    bad += 1
            lines = text.count("\n")
            if any(str(path).startswith(f.rstrip("/") + "/") for f in args.file_limit_dir) \
                    and lines > args.max_file:
                print(f"{path}: {lines} lines (limit {args.max_file})")
                bad += 1
    if bad:
        print(f"check_size: {bad} over the limits", file=sys.stderr)
        return 1
    print("check_size: every function and file within the limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
