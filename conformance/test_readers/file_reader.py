#!/usr/bin/env python3
"""A reader that writes a file instead of printing: a log it appends to (--log FILE), or a
Solarview-style file it rewrites for each telegram (--current FILE, one "OBIS;value;unit" line a
reading, written whole by a rename). Keys from READER_KEY / READER_AUTH_KEY."""
import os

import common


def extra(p):
    p.add_argument("--log")
    p.add_argument("--current")


def write_current(path, t):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for r in t["readings"]:
            if not isinstance(r["value"], str) and r["obis"] is not None:
                f.write(f'{r["obis"]};{r["value"]};{r["unit"]}\n')
    os.replace(tmp, path)


def main():
    args = common.arguments("a file-writing reader", extra)
    log = open(args.log, "a", buffering=1) if args.log else None
    for kind, t in common.telegrams(args, os.environ.get("READER_KEY", ""),
                                    os.environ.get("READER_AUTH_KEY", "")):
        if kind == "error":
            continue
        if args.current:
            write_current(args.current, t)
            continue
        log.write(f"[{common.clock(t.get('timestamp')) or '-'}] begin\n")
        for r in t["readings"]:
            if not isinstance(r["value"], str) and r["obis"] is not None:
                log.write(f'  {r["obis"]} = {r["value"]} {r["unit"]}\n')
        log.write("[end]\n")


if __name__ == "__main__":
    main()
