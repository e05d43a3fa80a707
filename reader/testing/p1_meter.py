#!/usr/bin/env python3
"""A DSMR 5 P1 meter with a gas meter on M-Bus channel 1, behind a real pty (end-to-end tests).

Writes COUNT telegrams (DSMR 5.0.2 clause 6.12 lines, CRC-16/ARC) through a pseudo-terminal whose
slave is linked at LINK, once a reader has opened it, and a truth file of JSON lines: one per
telegram, {"t_ms": UTC ms of 0-0:1.0.0, "meter_id", "readings": [{"obis", "value", "unit",
"t_ms"}]}: every reading the telegram carries, numbers in the base units meterlab gives (Wh, W,
V, A, m3), text as decoded, and for the gas register and the power-failure log's entries the
UTC ms of their own capture times. Meter
time runs STEP_S seconds a telegram from 2026-01-05 09:00:30 UTC (winter, Europe/Amsterdam:
10:00:30W); gas is captured every 5 minutes.

Usage: p1_meter.py LINK TRUTH [COUNT] [STEP_S]
"""
import datetime
import json
import os
import select
import sys
import time

METER_ID = "E0044007000000016"   # 0-0:96.1.1, sent as hex ASCII
GAS_ID = "G0012345678901234"      # 0-1:96.1.0, sent as hex ASCII
START = datetime.datetime(2026, 1, 5, 9, 0, 0, tzinfo=datetime.timezone.utc)
WINTER = datetime.timedelta(hours=1)  # CET: the W flag
FAILURES = (datetime.datetime(2025, 12, 30, 9, 15, tzinfo=datetime.timezone.utc),  # newest first
            datetime.datetime(2025, 11, 30, 7, 10, tzinfo=datetime.timezone.utc))


def crc16_arc(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def stamp(utc: datetime.datetime) -> str:
    return (utc + WINTER).strftime("%y%m%d%H%M%S") + "W"


def ms(utc: datetime.datetime) -> int:
    return int(utc.timestamp() * 1000)


def telegram(i: int, step_s: int):
    # Half a minute past: no telegram's time is a gas capture time (a row shows which it has).
    now = START + datetime.timedelta(seconds=30 + i * step_s)
    gas_at = now - datetime.timedelta(seconds=now.minute % 5 * 60 + now.second)
    t1, t2 = 1234567 + i * 37, 765432 + i * 11           # Wh
    e1, e2 = 2345 + i * 3, 0                             # Wh
    p_in, p_out = 200 + i * 7, 0                         # W
    volts, amps = 2300 + i % 7, 1 + i % 3                # 0.1 V, A
    gas = 4567890 + (gas_at - START).seconds // 300 * 125  # 0.001 m3
    lines = [
        "1-3:0.2.8(50)",
        "0-0:1.0.0(%s)" % stamp(now),
        "0-0:96.1.1(%s)" % METER_ID.encode().hex().upper(),
        "1-0:1.8.1(%06d.%03d*kWh)" % divmod(t1, 1000),
        "1-0:1.8.2(%06d.%03d*kWh)" % divmod(t2, 1000),
        "1-0:2.8.1(%06d.%03d*kWh)" % divmod(e1, 1000),
        "1-0:2.8.2(%06d.%03d*kWh)" % divmod(e2, 1000),
        "0-0:96.14.0(0002)",
        "1-0:1.7.0(%02d.%03d*kW)" % divmod(p_in, 1000),
        "1-0:2.7.0(%02d.%03d*kW)" % divmod(p_out, 1000),
        "0-0:96.7.21(00013)",
        "0-0:96.7.9(00002)",
        # The power-failure log: two entries of 0-0:96.7.19, each with its own end time.
        "1-0:99.97.0(2)(0-0:96.7.19)(%s)(0000000240*s)(%s)(0000000301*s)" % (
            stamp(FAILURES[0]), stamp(FAILURES[1])),
        "1-0:32.7.0(%03d.%d*V)" % divmod(volts, 10),
        "1-0:31.7.0(%03d*A)" % amps,
        "0-0:96.13.0(%s)" % "Hello P1".encode().hex().upper(),
        "0-1:24.1.0(003)",
        "0-1:96.1.0(%s)" % GAS_ID.encode().hex().upper(),
        "0-1:24.2.1(%s)(%05d.%03d*m3)" % ((stamp(gas_at),) + divmod(gas, 1000)),
    ]
    body = ("/ISk5\\2MT382-1000\r\n\r\n" + "".join(l + "\r\n" for l in lines) + "!").encode()
    frame = body + b"%04X\r\n" % crc16_arc(body)
    t_ms = ms(now)
    num = lambda obis, v, unit, at=t_ms: {"obis": obis, "value": v, "unit": unit, "t_ms": at}
    text = lambda obis, v: {"obis": obis, "value": v, "unit": "", "t_ms": t_ms}
    local = (now + WINTER).strftime("%Y-%m-%dT%H:%M:%S+01:00")
    readings = [
        text("1-3:0.2.8.255", "50"), text("0-0:1.0.0.255", local),
        text("0-0:96.1.1.255", METER_ID), num("0-0:96.14.0.255", 2, ""),
        num("1-0:1.8.1.255", t1, "Wh"), num("1-0:1.8.2.255", t2, "Wh"),
        num("1-0:2.8.1.255", e1, "Wh"), num("1-0:2.8.2.255", e2, "Wh"),
        num("1-0:1.7.0.255", p_in, "W"), num("1-0:2.7.0.255", p_out, "W"),
        num("0-0:96.7.21.255", 13, ""), num("0-0:96.7.9.255", 2, ""),
        num("1-0:99.97.0.255", 2, ""),
        num("0-0:96.7.19.255", 240, "s", ms(FAILURES[0])),
        num("0-0:96.7.19.255", 301, "s", ms(FAILURES[1])),
        num("1-0:32.7.0.255", volts / 10, "V"), num("1-0:31.7.0.255", amps, "A"),
        num("0-1:24.1.0.255", 3, ""),
        num("0-1:24.2.1.255", gas / 1000, "m3", ms(gas_at)),
        text("0-0:96.13.0.255", "Hello P1"), text("0-1:96.1.0.255", GAS_ID),
    ]
    return frame, {"t_ms": t_ms, "meter_id": METER_ID, "readings": readings}


def wait_for_reader(master: int, limit_s: float) -> bool:
    """True once a reader has the slave open (the master stops showing POLLHUP)."""
    end = time.monotonic() + limit_s
    p = select.poll()
    p.register(master, select.POLLHUP)
    while time.monotonic() < end:
        if not any(ev & select.POLLHUP for _, ev in p.poll(0)):
            return True
        time.sleep(0.05)
    return False


def main() -> int:
    link, truth_path = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    step_s = int(sys.argv[4]) if len(sys.argv) > 4 else 60
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)  # nobody has the slave open now: POLLHUP until the reader opens it
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(name, link)
    with open(truth_path, "w") as truth:
        if not wait_for_reader(master, 20):
            print("p1_meter: no reader opened %s" % link, file=sys.stderr)
            return 1
        time.sleep(0.5)  # the reader sets its termios and flushes after opening
        for i in range(count):
            frame, record = telegram(i, step_s)
            os.write(master, frame)
            truth.write(json.dumps(record) + "\n")
            time.sleep(0.05)
    time.sleep(1.0)  # let the reader drain the queue before the line goes away
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())
