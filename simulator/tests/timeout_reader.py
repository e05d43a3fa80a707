#!/usr/bin/env python3
"""A reader that frames by read timeouts, as most one-meter scripts do (seed readers 003/004):
open the port, set it raw, read; a gap of more than --timeout seconds ends a telegram. Prints one
JSON line per telegram ({"n": bytes}) and exits 0 when the port hangs up after the last one was
framed by the timeout; 1 when it hangs up before (the telegram in flight is lost) or on an error. Test support for simulator/tests/timeout_reader_test.sh."""
import argparse
import errno
import json
import os
import select
import sys
import termios
import tty


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("port")
    ap.add_argument("--timeout", type=float, default=1.0)
    args = ap.parse_args()
    fd = os.open(args.port, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIFLUSH)  # as the seed readers do after setting the line
    burst = bytearray()
    while True:
        ready, _, _ = select.select([fd], [], [], args.timeout)
        if not ready:
            if burst:
                print(json.dumps({"n": len(burst)}), flush=True)
                burst.clear()
            continue
        try:
            data = os.read(fd, 4096)
        except OSError as e:
            if e.errno == errno.EIO:  # the other side closed the port
                data = b""
            else:
                raise
        if not data:
            # A timeout-framed reader knows a telegram is whole only when the line has been quiet
            # for the timeout: a port that closes before that takes the telegram with it (pyserial
            # raises "device reports readiness to read but returned no data" there).
            if burst:
                print(json.dumps({"lost": len(burst)}), flush=True)
                return 1
            print(json.dumps({"closed": True}), flush=True)
            return 0
        burst += data


if __name__ == "__main__":
    sys.exit(main())
