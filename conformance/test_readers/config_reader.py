#!/usr/bin/env python3
"""A reader configured by a file at a fixed path it insists on (its port, keys and line settings
edited in), that prints JSON lines with its own field names: power in kW, the clock as
"05.01.2026 06:59:50", the meter's ids as strings. It prints only some readings."""
import json
import sys

import common

CONFIG = "/tmp/meterlab-test-config-reader/meter.json"


def main():
    args = common.arguments("a config-file reader")
    with open(CONFIG) as f:
        config = json.load(f)
    args.tty = config["port"]
    for kind, t in common.telegrams(args, config.get("key", ""), config.get("auth_key", "")):
        if kind == "error":
            continue
        out = {"time": common.clock(t.get("timestamp")), "baud": config["baud"]}
        names = {"1-0:1.7.0.255": "p_kw", "1-0:32.7.0.255": "u1", "0-0:96.1.0.255": "id",
                 "0-0:96.1.7.255": "type", "1-1:0.2.129.255": "list"}
        for r in t["readings"]:
            if r["obis"] in names:
                v = r["value"]
                out[names[r["obis"]]] = round(v / 1000, 3) if names[r["obis"]] == "p_kw" else v
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
