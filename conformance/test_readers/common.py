"""What the small test readers share: they read the tty through `meterlab decode` (their own
decoding is not what the tests are about) and can be told to misbehave the way real readers do,
so the conformance tests can show that `meterlab conform` catches each bug.

Options every reader takes:
  --meterlab PATH   the meterlab binary ({meterlab} in an adapter)
  --tty PATH        the serial port to read ({tty}); without it, standard input
  --drop N          drop every Nth telegram
  --scale OBIS=F    multiply one reading by F (a scaler read wrong)
  --late            print each telegram's readings with the next telegram (one telegram late)
  --ignore-tags     do not check GCM tags (forged frames pass)
  --sleep S         sleep S seconds per telegram (a slow reader)
"""
import argparse
import json
import os
import subprocess
import time


def arguments(description, extra=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--meterlab", default="meterlab")
    p.add_argument("--tty", default="-")
    p.add_argument("--drop", type=int, default=0)
    p.add_argument("--scale", default="")
    p.add_argument("--late", action="store_true")
    p.add_argument("--ignore-tags", action="store_true")
    p.add_argument("--sleep", type=float, default=0)
    if extra:
        extra(p)
    return p.parse_args()


def telegrams(args, key="", auth_key=""):
    """Yields ("telegram", t) and ("error", e) as `meterlab decode --errors` prints them, with
    the bugs the arguments ask for."""
    env = dict(os.environ)
    for name, value in (("METERLAB_KEY", key), ("METERLAB_AUTH_KEY", auth_key)):
        env.pop(name, None)
        if value and not (name == "METERLAB_AUTH_KEY" and args.ignore_tags):
            env[name] = value
    proc = subprocess.Popen([args.meterlab, "decode", args.tty, "--errors"], env=env,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    obis, _, factor = args.scale.partition("=")
    held = None  # --late: the readings of the telegram before
    n = 0
    for line in proc.stdout:
        t = json.loads(line)
        if "error" in t:
            yield "error", t["error"]
            continue
        if "readings" not in t:
            continue
        n += 1
        if args.drop and n % args.drop == 0:
            continue
        for r in t["readings"]:
            if obis and r["obis"] == obis:
                r["value"] = r["value"] * float(factor)
        if args.late:
            held, t["readings"] = t["readings"], held
            if t["readings"] is None:
                continue
        if args.sleep:
            time.sleep(args.sleep)
        yield "telegram", t


def clock(iso):
    """ "2026-01-05T06:59:50+01:00" as a reader prints it: "05.01.2026 06:59:50 +01:00"."""
    if not iso:
        return None
    date, _, rest = iso.partition("T")
    y, m, d = date.split("-")
    out = f"{d}.{m}.{y} {rest[:8]}"
    return out + (" " + rest[8:] if rest[8:] else "")
