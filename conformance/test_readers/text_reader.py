#!/usr/bin/env python3
"""A reader that prints text, one block a telegram (keys from READER_KEY / READER_AUTH_KEY):

    --- telegram 05.01.2026 06:59:50
    meter: 6970631400012345
    1-0:1.7.0.255 242 W
    0-0:96.1.7.255 "MA304H3E"
    0-0:1.0.0.255 clock 05.01.2026 00:00:00 +01:00
    --- end
    ! rejected security security_auth_failed
"""
import os
import sys

import common


def value_line(r):
    v = r["value"]
    if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] == "T":
        return f'{r["obis"]} clock {common.clock(v)}'
    if isinstance(v, str):
        return f'{r["obis"]} "{v}"'
    if r["obis"] is None:  # a reading no layout names: printed by its position
        return f'@{r["position"]} {v} {r["unit"]}'.rstrip()
    return f'{r["obis"]} {v} {r["unit"]}'.rstrip()


def main():
    args = common.arguments("a text reader")
    for kind, t in common.telegrams(args, os.environ.get("READER_KEY", ""),
                                    os.environ.get("READER_AUTH_KEY", "")):
        if kind == "error":
            print(f'! rejected {t.get("layer", "?")} {t.get("code", "?")}')
        else:
            stamp = common.clock(t.get("timestamp"))
            print("--- telegram" + (" " + stamp if stamp else ""))
            if t.get("meter_id"):
                print(f'meter: {t["meter_id"]}')
            for r in t["readings"]:
                print(value_line(r))
            print("--- end")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
