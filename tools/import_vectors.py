#!/usr/bin/env python3
"""Import the public golden vectors into meterlab's vector format, and add seed and negative vectors.

Usage: python3 tools/import_vectors.py [SHARED_VECTORS_DIR] [OUT_DIR] [SEEDS_DIR]
  SHARED_VECTORS_DIR defaults to <repo>/vectors/upstream (the published vectors as received, kept
  verbatim with their sources), OUT_DIR to <repo>/vectors.

Reads every binary vector (hdlc-plain, hdlc-encrypted, mbus-plain, mbus-encrypted, apdu) and every
DSMR one (tools/p1_vectors.py: category p1) and writes vectors/<category>/<name>.json (format: vectors/README.md). Expected readings are
written here by hand from each source's stated values (or the source's independent derived decode),
with the project's conventions applied (DLMS base units, energy in Wh, values scaled, ISO 8601
date-times). Positional lists get their OBIS codes from per-vector tables below.

Checks while writing: every HDLC HCS/FCS and M-Bus checksum is valid unless a vector means it to be
broken; encrypted frames take their expected readings from the plaintext the source verified
(decryption is tested in the engine, through Botan: this script has no AES).
Standard library only.
"""

import hashlib
import json
import os
import re
import sys

import p1_vectors

# --------------------------------------------------------------------------------------------
# Checksums

def crc16_x25(data):
    """CRC-16/X.25 (IEC 62056-46 HCS/FCS): poly 0x1021 reflected (0x8408), init/xorout 0xFFFF."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def crc_bytes(data):
    """The CRC as sent on the wire: least significant byte first."""
    c = crc16_x25(data)
    return bytes([c & 0xFF, c >> 8])


def mbus_cs(data):
    return sum(data) & 0xFF


# --------------------------------------------------------------------------------------------
# Ciphered APDU header (no decryption here: the engine decrypts, through Botan, in its tests)

def split_ciphered(apdu):
    """general-glo-ciphering DB 08 <st> <len> <sc> <ic> <ct[||tag]>: returns its parts."""
    assert apdu[0] == 0xDB and apdu[1] == 8, 'not general-glo-ciphering'
    st = apdu[2:10]
    pos = 10
    n = apdu[pos]
    pos += 1
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(apdu[pos:pos + k], 'big')
        pos += k
    body = apdu[pos:pos + n]
    assert len(body) == n, 'ciphered length beyond APDU'
    sc = body[0]
    ic = body[1:5]
    rest = body[5:]
    return st, sc, ic, rest, pos + 5


def hdlc_header_len(b, i):
    """Offset (from the flag) of the HCS: flag(1) + format(2) + dst + src + control(1)."""
    j = i + 3
    for _ in range(2):  # dst then src address, each ends with a byte whose LSB is 1
        while not b[j] & 1:
            j += 1
        j += 1
    return j + 1 - i


def hdlc_scan(b):
    """Walks HDLC frames from offset 0. Returns (frames, trailing_offset). Each frame is a dict
    with offset, length, hcs_ok, fcs_ok, info (bytes after HCS, before FCS)."""
    frames = []
    i = 0
    while i < len(b) and b[i] == 0x7E and i + 3 <= len(b):
        fmt = (b[i + 1] << 8) | b[i + 2]
        if fmt >> 12 != 0xA:
            break
        length = fmt & 0x7FF
        if i + length + 2 > len(b) or b[i + length + 1] != 0x7E:
            break
        h = hdlc_header_len(b, i)
        frame = b[i + 1:i + 1 + length]
        hcs_ok = b[i + h:i + h + 2] == crc_bytes(b[i + 1:i + h])
        fcs_ok = frame[-2:] == crc_bytes(frame[:-2])
        frames.append({'offset': i, 'length': length + 2, 'hcs_ok': hcs_ok, 'fcs_ok': fcs_ok,
                       'hcs_at': i + h, 'info': b[i + h + 2:i + length - 1],
                       'segmented': bool(fmt & 0x0800)})
        i += length + 2
    return frames, i


def hdlc_frame(dst, src, control, info):
    """Builds one HDLC frame (type 3, not segmented) with HCS and FCS."""
    length = 2 + len(dst) + len(src) + 1 + 2 + len(info) + 2
    assert length <= 0x7FF
    head = bytes([0xA0 | (length >> 8), length & 0xFF]) + dst + src + bytes([control])
    head += crc_bytes(head)
    body = head + info
    return b'\x7e' + body + crc_bytes(body) + b'\x7e'


def refcs_hdlc(frame_bytes):
    """Recomputes the FCS of one whole HDLC frame (flag .. flag) after a deliberate change."""
    body = frame_bytes[1:-3]
    return frame_bytes[:1] + body + crc_bytes(body) + frame_bytes[-1:]


def mbus_scan(b):
    frames = []
    i = 0
    while i + 6 <= len(b) and b[i] == 0x68 and b[i + 3] == 0x68:
        n = b[i + 1]
        if n != b[i + 2] or n < 3 or i + n + 6 > len(b):
            break
        user = b[i + 4:i + 4 + n]
        frames.append({'offset': i, 'length': n + 6, 'cs_ok': b[i + 4 + n] == mbus_cs(user),
                       'stop_ok': b[i + 5 + n] == 0x16, 'ci': user[2], 'data': user[3:]})
        i += n + 6
    return frames, i


def mbus_frame(c, a, ci, data):
    user = bytes([c, a, ci]) + data
    n = len(user)
    return bytes([0x68, n, n, 0x68]) + user + bytes([mbus_cs(user), 0x16])


def apdu_of_mbus(frames):
    data = b''.join(f['data'] for f in frames)
    assert data[:2] == b'\x01\x67', 'missing STSAP/DTSAP'
    out = b''
    for f in frames:
        assert f['data'][:2] == b'\x01\x67'
        out += f['data'][2:]
    return out


def apdu_of_hdlc(frames):
    out = b''
    for f in frames:
        info = f['info']
        if info[:3] == b'\xe6\xe7\x00':
            info = info[3:]
        out += info
    return out


# --------------------------------------------------------------------------------------------
# Values and readings

UNIT_NAMES = {27: 'W', 28: 'VA', 29: 'var', 30: 'Wh', 31: 'VAh', 32: 'varh', 33: 'A', 35: 'V',
              44: 'Hz', 255: ''}


def scaled(raw, exp):
    if exp >= 0:
        return raw * 10 ** exp
    return round(raw * 10.0 ** exp, -exp)


def iso_datetime(hexstr):
    """COSEM date-time (12 bytes) -> ISO 8601 per vectors/README.md."""
    d = bytes.fromhex(hexstr)
    assert len(d) == 12, hexstr
    year = (d[0] << 8) | d[1]
    s = '%04d-%02d-%02dT%02d:%02d:%02d' % (year, d[2], d[3], d[5], d[6], d[7])
    if d[8] not in (0x00, 0xFF):
        s += '.%02d' % d[8]
    dev = (d[9] << 8) | d[10]
    if dev != 0x8000:
        dev = dev - 0x10000 if dev & 0x8000 else dev
        off = -dev  # deviation is UTC - local: -120 means local = UTC + 2 h
        sign = '+' if off >= 0 else '-'
        s += '%s%02d:%02d' % (sign, abs(off) // 60, abs(off) % 60)
    return s


def octets_value(hexstr):
    b = bytes.fromhex(hexstr)
    if b and all(0x20 <= x <= 0x7E for x in b):
        return b.decode('ascii')
    return hexstr.lower()


def num(obis, value, unit):
    return {'obis': obis, 'value': value, 'unit': unit}


def txt(obis, value):
    return {'obis': obis, 'value': value}


def obis_cd(obis):
    """'1-0:32.7.0.255' -> (32, 7)."""
    m = re.match(r'(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)\.(\d+)$', obis)
    return int(m.group(3)), int(m.group(4))


def unit_for(obis):
    """Physical unit implied by an OBIS code (IEC 62056-61 value groups C and D)."""
    c, d = obis_cd(obis)
    if c in (1, 2, 15, 16, 21, 22, 41, 42, 61, 62):
        return {7: 'W', 8: 'Wh'}.get(d)
    if c in (3, 4, 5, 6, 7, 8, 23, 24, 43, 44, 63, 64):
        return {7: 'var', 8: 'varh'}.get(d)
    if c in (9, 10, 29, 30, 49, 50, 69, 70):
        return {7: 'VA', 8: 'VAh'}.get(d)
    if c in (31, 51, 71, 91) and d == 7:
        return 'A'
    if c in (32, 52, 72) and d == 7:
        return 'V'
    if c in (13, 33, 53, 73) and d == 7:
        return ''
    if c == 14 and d == 7:
        return 'Hz'
    return None


# Scaling conventions of lists that send no scaler/unit (exponent by quantity).
KAMSTRUP = {'W': 0, 'var': 0, 'A': -2, 'V': 0, 'Wh': 1, 'varh': 1, '': -2}
KAIFA_SE = {'W': 0, 'var': 0, 'A': -3, 'V': -1, 'Wh': 0, 'varh': 0}
LG_CH = {'W': 0, 'var': 0, 'A': -2, 'V': 0, 'Wh': 0, 'varh': 0}


def is_clock(obis):
    return re.match(r'0-\d+:1\.0\.0\.255$', obis) is not None


def readings_from_obis_items(items, convention=None):
    """Readings from a source's derived obis_items. Items carrying scaler/unit use them (the value
    is checked against raw x 10^scaler); items without use `convention` by quantity."""
    out = []
    for it in items:
        obis, typ = it['obis'], it.get('type', '')
        if typ in ('visible-string', 'octet-string', 'utf8-string'):
            raw = it.get('raw', '')
            if typ == 'visible-string':
                out.append(txt(obis, raw))
            elif is_clock(obis) and len(raw) == 24:
                out.append(txt(obis, iso_datetime(raw)))
            else:
                out.append(txt(obis, octets_value(raw)))
            continue
        raw = it.get('raw', it['value'])
        if 'scaler' in it:
            v = scaled(raw, it['scaler'])
            assert abs(v - it['value']) <= 1e-9 * max(1, abs(v)), it
            unit = it['unit']
        else:
            unit = unit_for(obis)
            if unit is None:  # an identifier or counter sent as an integer
                out.append(num(obis, raw, ''))
                continue
            v = scaled(raw, convention[unit])
        out.append(num(obis, v, unit))
    return out


def readings_from_positions(values, table):
    """Positional list: table rows (index, obis, kind, exponent, unit); kind num/text/dt."""
    out = []
    for idx, obis, kind, exp, unit in table:
        item = values[idx]
        if kind == 'num':
            out.append(num(obis, scaled(item['value'], exp), unit))
        elif kind == 'dt':
            out.append(txt(obis, iso_datetime(item['raw'])))
        else:
            out.append(txt(obis, octets_value(item['raw'])))
    return out


# Positional tables. KFM_001 (Kaifa MA304, Norway): list 1 = P+; list 2 = list id, meter id,
# meter type, P+, P-, Q+, Q-, IL1-3 (mA), UL1-3 (0.1 V); list 3 = list 2 + clock, A+, A-, R+, R-
# (Wh/varh). Sources: ams_han_decoder output committed with the captures; roarfred obisdata.md.
KFM_LIST1 = [(0, '1-0:1.7.0.255', 'num', 0, 'W')]
KFM_LIST2 = [
    (0, '1-1:0.2.129.255', 'text', 0, ''), (1, '0-0:96.1.0.255', 'text', 0, ''),
    (2, '0-0:96.1.7.255', 'text', 0, ''), (3, '1-0:1.7.0.255', 'num', 0, 'W'),
    (4, '1-0:2.7.0.255', 'num', 0, 'W'), (5, '1-0:3.7.0.255', 'num', 0, 'var'),
    (6, '1-0:4.7.0.255', 'num', 0, 'var'), (7, '1-0:31.7.0.255', 'num', -3, 'A'),
    (8, '1-0:51.7.0.255', 'num', -3, 'A'), (9, '1-0:71.7.0.255', 'num', -3, 'A'),
    (10, '1-0:32.7.0.255', 'num', -1, 'V'), (11, '1-0:52.7.0.255', 'num', -1, 'V'),
    (12, '1-0:72.7.0.255', 'num', -1, 'V')]
KFM_LIST3 = KFM_LIST2 + [
    (13, '0-0:1.0.0.255', 'dt', 0, ''), (14, '1-0:1.8.0.255', 'num', 0, 'Wh'),
    (15, '1-0:2.8.0.255', 'num', 0, 'Wh'), (16, '1-0:3.8.0.255', 'num', 0, 'varh'),
    (17, '1-0:4.8.0.255', 'num', 0, 'varh')]
# Austrian push lists (Kärnten Netz / Wiener Netze, Iskra AM550 and Siemens IM350 via P1):
# 0-6:25.9.0 octets, meter number, time, date, A+, A-, R+, R-, P+, P-, 2 empty strings.
AT_P1_12 = [(4, '1-0:1.8.0.255', 'num', 0, 'Wh'), (5, '1-0:2.8.0.255', 'num', 0, 'Wh'),
            (6, '1-0:3.8.0.255', 'num', 0, 'varh'), (7, '1-0:4.8.0.255', 'num', 0, 'varh'),
            (8, '1-0:1.7.0.255', 'num', 0, 'W'), (9, '1-0:2.7.0.255', 'num', 0, 'W')]


def d0_table(first):
    """Wiener Netze D0 compact list: date-time, A+, A-, R+, R-, P+, P-, Q+, Q-."""
    codes = [('1-0:1.8.0.255', 'Wh'), ('1-0:2.8.0.255', 'Wh'), ('1-0:3.8.0.255', 'varh'),
             ('1-0:4.8.0.255', 'varh'), ('1-0:1.7.0.255', 'W'), ('1-0:2.7.0.255', 'W'),
             ('1-0:3.7.0.255', 'var'), ('1-0:4.7.0.255', 'var')]
    rows = [(first, '0-0:1.0.0.255', 'dt', 0, '')]
    rows += [(first + 1 + i, o, 'num', 0, u) for i, (o, u) in enumerate(codes)]
    return rows


# L&G E450 Netz Burgenland: U1-3, I1-3, P+, P-, A+, A-, 3 undocumented values, meter id.
LG_BURGENLAND = [
    (0, '1-0:32.7.0.255', 'num', 0, 'V'), (1, '1-0:52.7.0.255', 'num', 0, 'V'),
    (2, '1-0:72.7.0.255', 'num', 0, 'V'), (3, '1-0:31.7.0.255', 'num', -2, 'A'),
    (4, '1-0:51.7.0.255', 'num', -2, 'A'), (5, '1-0:71.7.0.255', 'num', -2, 'A'),
    (6, '1-0:1.7.0.255', 'num', 0, 'W'), (7, '1-0:2.7.0.255', 'num', 0, 'W'),
    (8, '1-0:1.8.0.255', 'num', 0, 'Wh'), (9, '1-0:2.8.0.255', 'num', 0, 'Wh'),
    (13, '0-0:96.1.0.255', 'text', 0, '')]
# Iskra AM550 Elektro Ljubljana (SI) 5-s list: only the positions the source states.
ISKRA_SI = [
    (1, '0-0:96.1.0.255', 'text', 0, ''), (2, '1-0:1.7.0.255', 'num', 0, 'W'),
    (3, '1-0:2.7.0.255', 'num', 0, 'W'), (6, '1-0:32.7.0.255', 'num', -1, 'V'),
    (7, '1-0:52.7.0.255', 'num', -1, 'V'), (8, '1-0:72.7.0.255', 'num', -1, 'V'),
    (9, '1-0:31.7.0.255', 'num', -2, 'A'), (10, '1-0:51.7.0.255', 'num', -2, 'A'),
    (11, '1-0:71.7.0.255', 'num', -2, 'A')]
# Iskra IE.5 (HR) 33 values: only positions whose meaning the bytes prove (see notes).
ISKRA_IE5 = [
    (3, '1-0:1.8.0.255', 'num', 0, 'Wh'), (6, '1-0:2.8.0.255', 'num', 0, 'Wh'),
    (22, '1-0:32.7.0.255', 'num', -1, 'V'), (23, '1-0:52.7.0.255', 'num', -1, 'V'),
    (24, '1-0:72.7.0.255', 'num', -1, 'V'), (25, '1-0:31.7.0.255', 'num', -2, 'A'),
    (26, '1-0:51.7.0.255', 'num', -2, 'A'), (27, '1-0:71.7.0.255', 'num', -2, 'A')]


# --------------------------------------------------------------------------------------------
# Vector assembly

SERIAL_RE = re.compile(r'^\s*(\d+)\s+([5-8][NEO][12])')


def serial_of(text):
    if not text:
        return None
    m = SERIAL_RE.match(text)
    return '%s %s' % (m.group(1), m.group(2)) if m else None


def telegram(security, readings, complete=True, **kw):
    t = {}
    for key in ('meter_id', 'meter_type', 'list_id', 'timestamp'):
        if kw.get(key) is not None:
            t[key] = kw[key]
    t['security'] = security
    if kw.get('system_title'):
        t['system_title'] = kw['system_title']
        t['invocation_counter'] = kw['invocation_counter']
    if kw.get('segments'):
        t['segments'] = kw['segments']
    t['readings_complete'] = complete
    t['readings'] = readings
    return t


def ids_from(readings):
    """meter id, meter type and list id as the readings carry them."""
    by = {r['obis']: r['value'] for r in readings}
    meter_id = by.get('0-0:96.1.0.255', by.get('1-1:0.0.5.255'))
    meter_type = by.get('0-0:96.1.7.255', by.get('1-1:96.1.1.255'))
    list_id = next((v for k, v in by.items() if k.endswith(':0.2.129.255')), None)
    clock = next((v for k, v in by.items() if is_clock(k)), None)
    return {'meter_id': meter_id, 'meter_type': meter_type, 'list_id': list_id, 'clock': clock}


def err(layer, code, offset=None):
    """An expected rejection. For the link layers (hdlc, mbus) the offset given here is where the
    rejected bytes start in the stream: it is compared with the error's frame.offset
    ("frame_offset"); the error's own offset (the byte where the fault was seen) is not fixed
    here. For the layers above, offset is inside the APDU."""
    e = {'layer': layer, 'code': code}
    if offset is not None:
        e['frame_offset' if layer in ('hdlc', 'mbus') else 'offset'] = offset
    return e


class Ctx:
    """What one source vector gives: bytes, link frames, APDU, security header."""

    def __init__(self, d):
        self.d = d
        self.raw = bytes.fromhex(d['hex'])
        self.der = d['expected'].get('derived', {})
        self.ss = d['expected'].get('source_stated', {})
        self.ek = bytes.fromhex(d['key_hex']) if d.get('key_hex') else None
        self.ak = bytes.fromhex(d['auth_key_hex']) if d.get('auth_key_hex') else None
        self.frames, self.end = [], len(self.raw)
        self.apdu = self.raw
        tr = d['transport']
        if tr == 'hdlc':
            self.frames, self.end = hdlc_scan(self.raw)
            self.apdu = apdu_of_hdlc(self.frames)
        elif tr == 'mbus':
            self.frames, self.end = mbus_scan(self.raw)
            if self.frames:
                self.apdu = apdu_of_mbus(self.frames)

    def apdu_timestamp(self):
        raw = self.der.get('date_time_raw')
        return iso_datetime(raw) if raw else None

    def security(self):
        """(state, system_title hex, ic) from the ciphering header, checking the key."""
        st, sc, ic, _, _ = split_ciphered(self.apdu)
        # The plaintext the source verified with its key; the engine's tests decrypt for real.
        stated = self.d['verification'].get('plaintext_hex')
        assert stated, self.d['name'] + ': no verified plaintext in the source'
        pt = bytes.fromhex(stated)
        icv = int.from_bytes(ic, 'big')
        if sc & 0x10:
            state = 'authenticated' if self.ak else 'decrypted_unverified'
        else:
            state = 'decrypted'
        return state, st.hex(), icv, pt


def obis_telegram(c, security='plain', convention=None, extra_front=(), extra_back=(),
                  segments=None, sec=None):
    readings = list(extra_front) + readings_from_obis_items(c.der['obis_items'], convention)
    readings += list(extra_back)
    ids = ids_from(readings)
    kw = dict(meter_id=ids['meter_id'], meter_type=ids['meter_type'], list_id=ids['list_id'],
              timestamp=c.apdu_timestamp() or ids['clock'], segments=segments)
    if sec:
        kw.update(system_title=sec[1], invocation_counter=sec[2])
        security = sec[0]
    return telegram(security, readings, **kw)


def positional_telegram(c, table, complete, security='plain', sec=None, segments=None,
                        values=None):
    readings = readings_from_positions(values or c.der['values_in_order'], table)
    ids = ids_from(readings)
    kw = dict(meter_id=ids['meter_id'], meter_type=ids['meter_type'], list_id=ids['list_id'],
              timestamp=c.apdu_timestamp() or ids['clock'], segments=segments)
    if sec:
        kw.update(system_title=sec[1], invocation_counter=sec[2])
        security = sec[0]
    return telegram(security, readings, complete=complete, **kw)


KAMSTRUP_LIST_ID = txt('1-1:0.2.129.255', 'Kamstrup_V0001')
NOTE_KAMSTRUP = ('Kamstrup list convention (no scalers on the wire): current 0.01 A, voltage 1 V, '
                 'power W/var, energy 0.01 kWh (raw x 10 Wh), power factor 0.01; the bare first '
                 'element "Kamstrup_V0001" is the list id, reported under 1-1:0.2.129.255 as the '
                 'source decoder does')
NOTE_KFM = ('KFM_001 positional list: OBIS codes by position (list 1: P+; list 2: list id, meter '
            'id, type, P+, P-, Q+, Q-, IL1-3 in mA, UL1-3 in 0.1 V; list 3 adds clock, A+, A-, R+, '
            'R- in Wh/varh)')
NOTE_NO_KEY = 'key not published: the engine must reject the message with security_no_key'
NOTE_SEC_OFFSET = 'security errors carry no offset (the failure concerns the whole ciphered APDU)'


# The UTC time of the Aidon NO list-3 captures in Europe/Oslo (issue 16): 18:00 local on
# 2019-06-12 (summer, UTC+2) and 16:00 local on 2020-01-21 (winter, UTC+1).
AIDON_UTC = {'aidon-6525-list3': '2019-06-12T16:00:00Z',
             'aidon-no-list3-llc-pdu-amshan': '2020-01-21T15:00:00Z'}


def with_utc(t, utc, source):
    """The telegram with timestamp_utc and timestamp_source after its timestamp."""
    out = {}
    for key, value in t.items():
        out[key] = value
        if key == 'timestamp':
            out['timestamp_utc'], out['timestamp_source'] = utc, source
    return out


def spec_for(c):
    """Returns (telegrams, errors, notes, extra) for one source vector."""
    n = c.d['name']
    if n.startswith('aidon-') or n == 'salzburgnetz-kaifa-ma309-plain-apdu':
        notes = []
        t = obis_telegram(c)
        if n in ('aidon-6525-list3', 'aidon-no-list3-llc-pdu-amshan'):
            notes.append('clock deviation applied mechanically (DLMS: deviation = UTC - local); '
                         'Aidon sends +60 where Norway is UTC+1/+2, so the ISO offset reads '
                         '-01:00 for +60 and +00:00 for 0')
            notes.append('issue 16: the Aidon deviation is known to be wrong (layout clock rule), '
                         'so timestamp_utc comes from the family zone Europe/Oslo, not from it')
            t = with_utc(t, AIDON_UTC[n], 'zone')
        return [t], [], notes, {}
    if n.startswith('kaifa-kfm001-'):
        table = KFM_LIST1 if n.endswith('list1') else KFM_LIST2 if n.endswith('list2') else KFM_LIST3
        return [positional_telegram(c, table, True)], [], [NOTE_KFM], {}
    if n in ('kaifa-se-gh242-1-list3', 'kaifa-se-llc-pdu-amshan'):
        return [obis_telegram(c, convention=KAIFA_SE)], [], [
            'Kaifa SE list sends no scalers: current mA, voltage 0.1 V, energy Wh, power W '
            '(amshan note); the amsreader golden l1v 2322 / l1a 32 is that decoder\'s mis-scaling'
        ], {}
    if n.startswith('kamstrup-') and n not in ('kamstrup-omnipower-dk-gh517-pair',
                                               'kamstrup-omnipower-dk-gh111-decrypted'):
        notes = [NOTE_KAMSTRUP]
        if n == 'kamstrup-6841121-list1' or n == 'kamstrup-6841121-list2':
            notes.append('source decoder output gives reactive power as kvar labelled VAr (0.462) '
                         'and energies unscaled; the Kamstrup convention is applied instead')
        if n == 'kamstrup-no-1phase-list1-llc-pdu-amshan':
            notes.append('null-data placeholders for L2/L3 produce no readings')
        return [obis_telegram(c, convention=KAMSTRUP, extra_front=[KAMSTRUP_LIST_ID])], [], notes, {}
    if n in ('lg-e450-ch-gh740-gbt-3frames', 'lg-e450-ch-gh934-reassembled'):
        items = [it for it in c.der['obis_items'] if it.get('class_id') != 40]
        c.der = dict(c.der, obis_items=items)
        segs = 3 if c.d['transport'] == 'hdlc' else None
        t = obis_telegram(c, convention=LG_CH, segments=segs)
        return [t], [], [
            'push with capture-object list: the push setup 0-8:25.9.0 (its object list, attribute '
            '2, and its logical name, attribute 1) describes the list and is no reading',
            'L&G CH sends no scalers: voltage integer V, current 0.01 A, power W, energy Wh'], {}
    if n == 'iskra-am550-si-gh615-1':
        return [positional_telegram(c, ISKRA_SI, False)], [], [
            'readings limited to what amsreader states (meter id 16820005, P+/P-, U1-3 in 0.1 V, '
            'I1-3 in 0.01 A); left out: ISK... logical device name (0-0:42.0.0?), positions 4-5 '
            '(0 and 738, probably Q+/Q-) and the last six (16, 51, 1325, 0, 0, 0: they sum to P+, '
            'so probably per-phase P+ and P-), as no document states them'], {}
    if n == 'iskra-ie5-hr-gh1072-3':
        return [positional_telegram(c, ISKRA_IE5, False)], [], [
            'no OBIS table available (it is an xlsx in the issue); kept only positions the bytes '
            'prove: A+ total (= the next two, tariff 1 + 2), A- total (likewise), U1-3 (0.1 V), '
            'I1-3 (0.01 A) per the issue\'s scaling note; the rest is left out'], {}
    if n in ('evn-netznoe-kaifa-ma309-doc-example',):
        sec = c.security()
        body_dt = txt('0-0:1.0.0.255', iso_datetime(c.der['date_time_raw']))
        meter = txt('0-0:96.1.0.255', '181220000009')
        t = obis_telegram(c, extra_front=[body_dt], extra_back=[meter], segments=2, sec=sec)
        return [t], [], [
            'flat EVN layout: the bare first date-time is the clock 0-0:1.0.0 (doc table) and the '
            'bare last string is the meter number (doc: no OBIS), reported as 0-0:96.1.0.255'], {}
    if n == 'tinetz-kaifa-ma309-walkthrough':
        sec = c.security()
        return [obis_telegram(c, segments=2, sec=sec)], [], [], {}
    if n in ('iskra-am550-kaerntennetz-gh787-1', 'wienernetze-iskra-am550-shrdzm',
             'wienernetze-siemens-im350-shrdzm-1'):
        sec = c.security()
        return [positional_telegram(c, AT_P1_12, False, sec=sec)], [], [
            'left out: the 0-6:25.9.0 octets + number pair (meter number whose OBIS is not '
            'documented), the separate time and date strings, two empty strings'], {}
    if n.startswith('wienernetze-d0-'):
        sec = c.security()
        first = 1 if 'siemens' in n else 0
        t = positional_telegram(c, d0_table(first), first == 0, sec=sec)
        notes = ['96 bytes after the closing flag (SHA-256 digest + ECDSA signature) are not HDLC: '
                 'one hdlc_garbage at the first byte after the closing flag (they hold no 0x7E)']
        if first:
            notes.append('left out: the SMS... device name in position 0 (OBIS not documented)')
        return [t], [err('hdlc', 'hdlc_garbage', c.end)], notes, {}
    if n == 'lg-e450-burgenland-gh501-1':
        sec = c.security()
        return [positional_telegram(c, LG_BURGENLAND, False, sec=sec)], [], [
            'positions per the source README (U1-3, I1-3, P+, P-, A+, A-, meter id); the three '
            'values 400/53/295 are undocumented and left out; current taken as 0.01 A (3 x ~236 V '
            'x 0/0.04/0.26 A fits P+ 29 W, 0.1 A would not)'], {}
    if n in ('kamstrup-omnipower-dk-gh517-pair', 'salzburgnetz-doc-sample-single-frame',
             'tinetz-kaifa-ma309m-gurux18232', 'vkw-kaifa-ma309-smartmeterreadout'):
        return [], [err('security', 'security_no_key')], [NOTE_NO_KEY, NOTE_SEC_OFFSET], {}
    if n == 'kamstrup-omnipower-dk-gh111-decrypted':
        return [], [err('security', 'security_no_key')], [
            'as captured the firmware log keeps the ciphering header (DB .. SC IC) in front of '
            'the plaintext: the engine sees a ciphered APDU and has no key; see the -stripped '
            'companion', NOTE_SEC_OFFSET], {}
    if n == 'gurux-forum-sagemcom-example-badkey':
        return [], [err('security', 'security_wrong_key')], [
            'the stated key does not decrypt this ciphertext (plaintext starts D1, not 0F)',
            NOTE_SEC_OFFSET], {}
    if n == 'greenbook-glo-get-request-sc30':
        sec = c.security()
        assert sec[0] == 'authenticated' and sec[3][0] == 0xC0
        return [], [err('dlms', 'dlms_unknown_apdu', 0)], [
            'decrypts and authenticates to a get-request (C0 01 ..), not a data-notification: '
            'the engine must say dlms_unknown_apdu at offset 0 of the plaintext APDU, no telegram'
        ], {}
    if n == 'dlmscosem-genglo-datanotification-sc30':
        sec = c.security()
        assert sec[0] == 'authenticated' and sec[3][0] == 0x0F
        body = sec[3][6:]  # 0F, invoke id (4), no date-time (00), then the body
        assert body[0] == 0x09 and body[1] == len(body) - 2
        t = telegram(sec[0], [positional('1', body[2:].hex())], system_title=sec[1],
                     invocation_counter=sec[2])
        return [t], [], [
            'authenticated data-notification whose body is one octet-string of proprietary '
            'content: no layout maps it; the generic mapping gives its one value by position '
            '(issue 16; it was cosem_unknown_layout)'], {}
    if n == 'evn-kaifa-ma309-gh247-firmware-decrypted-mbus':
        return [], [err('mbus', 'mbus_bad_length', 0)], [
            'synthetic M-Bus wrapper with L = 00 00: rejected at offset 0; the next 0x68 is at '
            'offset 3 (68 53 ff ..: L fields differ), so a resynchronising framer may report more '
            'link errors after the first one (errors_exhaustive false)'], {'errors_exhaustive': False}
    raise KeyError(n)


def keys_of(c):
    if not c.ek:
        return []
    st = None
    try:
        st = split_ciphered(c.apdu)[0].hex()
    except AssertionError:
        pass
    return [{'system_title': st, 'ek': c.ek.hex(), 'ak': c.ak.hex() if c.ak else None}]


def truth_of(c):
    ss = c.ss
    strong = ('decoder_output_json', 'amshan_asserts', 'asserts', 'amsreader_golden', 'table',
              'decrypted_apdu_hex', 'amsreader_golden_for_plaintext', 'decrypted_apdu_hex_from_doc')
    return 'source_stated' if any(k in ss for k in strong) else 'derived'


def vector(name, category, description, source, transport, data, serial, keys, telegrams, errors,
           truth, notes, extra=None):
    v = {'name': name, 'category': category, 'description': description, 'source': source,
         'transport': transport, 'input_hex': data.hex(), 'serial': serial, 'keys': keys,
         'expect': {'telegrams': telegrams, 'errors': errors}, 'truth': truth}
    v.update(extra or {})
    v['notes'] = notes
    return v


def import_source(c, category):
    d = c.d
    telegrams, errors, notes, extra = spec_for(c)
    serial_note = ['serial as stated by the source: %s' % d['serial']] if d.get('serial') else []
    transport = 'apdu' if d['transport'] == 'raw-apdu' else d['transport']
    return vector(d['name'], category, '%s, %s' % (d['meter'], d['operator_or_list']),
                  d['source'], transport, c.raw, serial_of(d.get('serial')), keys_of(c),
                  telegrams, errors, truth_of(c), list(d.get('quirks', [])) + notes + serial_note,
                  extra)


def companions(c, category_vec):
    """Extra vectors a source yields: stated plaintexts of keyless frames, stripped dumps."""
    n = c.d['name']
    out = []
    base = dict(category='apdu', source=c.d['source'], transport='apdu', serial=None, keys=[],
                truth='source_stated')
    if n == 'kamstrup-omnipower-dk-gh517-pair':
        pt = bytes.fromhex(c.ss['decrypted_apdu_hex'])
        st, sc, ic, rest, _ = split_ciphered(c.apdu)
        assert len(rest) - 12 == len(pt)
        t = obis_telegram(c, convention=KAMSTRUP, extra_front=[KAMSTRUP_LIST_ID])
        g = c.ss['amsreader_golden_for_plaintext']
        by = {r['obis']: r['value'] for r in t['readings']}
        assert by['1-1:1.8.0.255'] == round(g['importCounter_kWh'] * 1000)
        assert by['1-1:31.7.0.255'] == g['l1a'] and by['1-1:32.7.0.255'] == g['l1v']
        out.append(vector(n + '-plaintext', description=category_vec['description'] +
                          ' (stated plaintext of the keyless frame)', data=pt, telegrams=[t],
                          errors=[], notes=[NOTE_KAMSTRUP, 'plaintext as the source firmware '
                                            'decrypted it (gh517-2.hex); 1-1:0.0.1.255 is an '
                                            'integer identifier, unit ""'], **base))
    if n == 'salzburgnetz-doc-sample-single-frame':
        pt = bytes.fromhex(c.ss['decrypted_apdu_hex_from_doc'])
        assert pt.hex()[36:44] == '0207090c'  # structure of 7, first a bare date-time
        body_dt = txt('0-0:1.0.0.255', iso_datetime(pt.hex()[44:68]))
        t = obis_telegram(c, extra_front=[body_dt])
        out.append(vector(n + '-plaintext', description=category_vec['description'] +
                          ' (stated plaintext of the keyless frame)', data=pt, telegrams=[t],
                          errors=[], notes=['flat layout: bare clock date-time first, then '
                                            'OBIS/value/scaler-unit triples',
                                            'the body clock has deviation 0 (+00:00) while the APDU '
                                            'date-time says -60 (+01:00): both as sent'], **base))
    if n == 'kamstrup-omnipower-dk-gh111-decrypted':
        assert c.raw[21] == 0x0F
        stripped = c.raw[21:-12]
        t = obis_telegram(c, convention=KAMSTRUP, extra_front=[KAMSTRUP_LIST_ID])
        assert t['readings'][3]['value'] == 169
        out.append(vector(n + '-stripped', description=category_vec['description'] +
                          ' (plaintext APDU cut out of the dump)', data=stripped, telegrams=[t],
                          errors=[], notes=[NOTE_KAMSTRUP, 'input = the dump from offset 21 (the 0F '
                                            'tag) without its last 12 bytes (the GCM tag the '
                                            'firmware log left after the plaintext)'], **base))
    return out


# --------------------------------------------------------------------------------------------
# Seed documents

def axdr_octets(b):
    assert len(b) < 128
    return bytes([0x09, len(b)]) + b


def seed_kaifa_ma304h4d(seeds_dir):
    """Seed 000: Kaifa MA304H4D list 3 over M-Bus (ams_han_decoder output in the document).
    The meter id is redacted there; a plausible KFM_001 id is chosen and the FCS computed."""
    doc = open(os.path.join(seeds_dir, '000_faa7f25744fa22a7.txt'), encoding='utf-8').read()
    assert '"hdlc_hcs" : "561b"' in doc and '"hdlc_frame_format" : "a09b"' in doc
    meter_id = '6970631401234567'
    dt = bytes.fromhex('07e40402040c2700ff800000')  # 2020-04-02 Thu 12:39:00, no deviation
    values = [0, 721, 0, 195, 1661, 2103, 1337, 2289, 2288, 2277]
    energies = [11589514, 2853145, 120588, 4285508]
    body = bytes([0x02, 18]) + axdr_octets(b'KFM_001') + axdr_octets(meter_id.encode())
    body += axdr_octets(b'MA304H4D')
    body += b''.join(b'\x06' + v.to_bytes(4, 'big') for v in values)
    body += axdr_octets(dt) + b''.join(b'\x06' + v.to_bytes(4, 'big') for v in energies)
    apdu = b'\x0f\x40\x00\x00\x00' + b'\x09\x0c' + dt + body
    frame = hdlc_frame(b'\x01', b'\x00\x01', 0x10, b'\xe6\xe7\x00' + apdu)
    assert frame[1:3] == b'\xa0\x9b' and frame[7:9] == b'\x56\x1b', frame[:9].hex()
    readings = [
        txt('1-1:0.2.129.255', 'KFM_001'), txt('0-0:96.1.0.255', meter_id),
        txt('0-0:96.1.7.255', 'MA304H4D'), num('1-0:1.7.0.255', 0, 'W'),
        num('1-0:2.7.0.255', 721, 'W'), num('1-0:3.7.0.255', 0, 'var'),
        num('1-0:4.7.0.255', 195, 'var'), num('1-0:31.7.0.255', 1.661, 'A'),
        num('1-0:51.7.0.255', 2.103, 'A'), num('1-0:71.7.0.255', 1.337, 'A'),
        num('1-0:32.7.0.255', 228.9, 'V'), num('1-0:52.7.0.255', 228.8, 'V'),
        num('1-0:72.7.0.255', 227.7, 'V'), txt('0-0:1.0.0.255', '2020-04-02T12:39:00'),
        num('1-0:1.8.0.255', 11589514, 'Wh'), num('1-0:2.8.0.255', 2853145, 'Wh'),
        num('1-0:3.8.0.255', 120588, 'varh'), num('1-0:4.8.0.255', 4285508, 'varh')]
    t = telegram('plain', readings, meter_id=meter_id, meter_type='MA304H4D', list_id='KFM_001',
                 timestamp='2020-04-02T12:39:00')
    return vector('kaifa-ma304h4d-list3-mbus-doc', 'seeds',
                  'Kaifa MA304H4D (NO, M-Bus HAN) KFM_001 list 3, rebuilt from ams_han_decoder output',
                  {'document': 'shared/seeds/000_faa7f25744fa22a7.txt',
                   'section': 'Sample Output (ams_han_decoder.pl JSON: header, payload, data)'},
                  'hdlc', frame, '2400 8N1', [], [t], [], 'document', [
                      'header A0 9B 01 00 01 10 gives HCS 56 1B as the document states',
                      'the document redacts the meter id: %s chosen (Kaifa NO GS1 prefix), so the '
                      'FCS differs from the document\'s 4F07 and is computed here' % meter_id,
                      'APDU date-time as 09 0C + 12 bytes, the KFM_001 quirk of the other captures',
                      'energies: the document prints kWh (11589.514); the meter sends Wh',
                      'serial: the document says 2400,8,N,1 (other KFM_001 sources say 8E1)',
                      NOTE_KFM])


GURUX_TAGS = re.compile(r'<(Structure|OctetString|UInt16|UInt32|Int8|Enum|DateTime|'
                        r'LongInvokeIdAndPriority)\s+(Qty|Value)="([0-9A-Fa-f]*)"')


def gurux_xml_to_apdu(xml):
    """Encodes a Gurux DataNotification XML (hex Qty and Value) as an A-XDR data-notification."""
    tokens = GURUX_TAGS.findall(xml)
    out = bytearray([0x0F])
    pending = []  # element counts of open structures (to check Qty)
    for tag, attr, val in tokens:
        b = bytes.fromhex(val)
        if tag == 'LongInvokeIdAndPriority':
            out += b
            continue
        if tag == 'DateTime':
            out += bytes([0x0C]) + b  # data-notification date-time: length-prefixed octets
            continue
        if pending:
            pending[-1] -= 1
        if tag == 'Structure':
            out += bytes([0x02, int(val, 16)])
            pending.append(int(val, 16))
        else:
            out += {'OctetString': bytes([0x09, len(b)]), 'UInt16': b'\x12', 'UInt32': b'\x06',
                    'Int8': b'\x0f', 'Enum': b'\x16'}[tag]
            out += b
        while pending and pending[-1] == 0:
            pending.pop()
    assert not pending, 'structure counts do not match the XML'
    return bytes(out)


def seeds_vkw(seeds_dir):
    """Seed 001: Vorarlberg Netz Kaifa MA309M frame (no key) and its decrypted Gurux XML."""
    doc = open(os.path.join(seeds_dir, '001_2791a04288ed675c.txt'), encoding='utf-8').read()
    frame = bytes.fromhex(re.search(r'\n(68fafa68[0-9a-f]+)\n', doc).group(1))
    frames, end = mbus_scan(frame)
    assert end == len(frame) and [f['ci'] for f in frames] == [0x00, 0x11]
    assert all(f['cs_ok'] and f['stop_ok'] for f in frames)
    apdu = apdu_of_mbus(frames)
    st, sc, ic, _, _ = split_ciphered(apdu)
    assert st.hex() == '4b464d1020003774' and int.from_bytes(ic, 'big') == 0x1B66 and sc == 0x21
    src = {'document': 'shared/seeds/001_2791a04288ed675c.txt',
           'section': 'Example message from Smart Meter: In HEX'}
    v1 = vector('vkw-kaifa-ma309m-readme-frame', 'seeds',
                'Kaifa MA309M(H), Vorarlberg Netz (VKW): README example frame (2 M-Bus segments)',
                src, 'mbus', frame, '2400 8N1', [], [], [err('security', 'security_no_key')],
                'document', ['two M-Bus long frames, CI 00 then CI 11; SC 0x21, system title '
                             '4b464d1020003774, invocation counter 0x1B66', NOTE_NO_KEY,
                             NOTE_SEC_OFFSET, 'the Decrypted XML of the README is another telegram '
                             '(LongInvokeId 0x1C4E): see vkw-kaifa-ma309m-readme-xml'])
    xml = doc[doc.index('<DataNotification>'):doc.index('</DataNotification>')]
    pt = gurux_xml_to_apdu(xml)
    ts = '2023-08-21T23:23:00+02:00'
    readings = [
        txt('0-0:1.0.0.255', ts), txt('0-0:96.1.0.255', '1KFM0200014196'),
        txt('0-0:42.0.0.255', 'KFM1200200014196'),
        num('1-0:32.7.0.255', 232.9, 'V'), num('1-0:52.7.0.255', 231.9, 'V'),
        num('1-0:72.7.0.255', 232.0, 'V'), num('1-0:31.7.0.255', 1.76, 'A'),
        num('1-0:51.7.0.255', 2.11, 'A'), num('1-0:71.7.0.255', 1.73, 'A'),
        num('1-0:1.7.0.255', 41, 'W'), num('1-0:2.7.0.255', 0, 'W'),
        num('1-0:1.8.0.255', 77130, 'Wh'), num('1-0:2.8.0.255', 868025, 'Wh'),
        num('1-0:3.8.0.255', 10, 'varh'), num('1-0:4.8.0.255', 556923, 'varh')]
    t = telegram('plain', readings, meter_id='1KFM0200014196', timestamp=ts)
    v2 = vector('vkw-kaifa-ma309m-readme-xml', 'seeds',
                'Kaifa MA309M(H), Vorarlberg Netz (VKW): README decrypted XML re-encoded as a plain '
                'APDU', dict(src, section='Example message from Smart Meter: Decrypted XML'),
                'apdu', pt, None, [], [t], [], 'document', [
                    'A-XDR written from the Gurux XML: 0F, long-invoke-id 00001C4E, 0C + date-time, '
                    'structure of 0x10 = 16 elements (Qty and Value are hex in Gurux XML)',
                    'mixed layout: bare clock OBIS and date-time, then structures {OBIS, value'
                    '[, {scaler, unit}]}',
                    'date-time 07E7 08 15 01 17 17 00 00 FF88 80: 2023-08-21 23:23:00.00, '
                    'deviation -120 -> +02:00, status 0x80 (DST)',
                    'the README also explains 07 E7 06 12 02 14 2F 32 FF 80 00 80 = 2023-06-18 '
                    '20:47:50, hundredths and deviation not specified (no ISO offset), status 0x80 '
                    'summer time: ISO 2023-06-18T20:47:50 (checked by iso_datetime in the script)'])
    assert iso_datetime('07e7061202142f32ff800080') == '2023-06-18T20:47:50'
    return [v1, v2]


# --------------------------------------------------------------------------------------------
# Negative vectors

def flip(b, pos, bit=0):
    out = bytearray(b)
    out[pos] ^= 1 << bit
    return bytes(out)


def wrong_key(apdu, ek, ak):
    """A deterministic wrong EK: every byte XOR 0x5A. That it decrypts to garbage is for the
    engine's tests to show: this script does no AES."""
    return bytes(b ^ 0x5A for b in ek)


def negatives(v, ctx):
    """v: imported vectors by name; ctx: their source contexts."""
    out = []

    def neg(name, base, change, transport, data, telegrams, errors, keys=None, notes=(), extra=None):
        out.append(vector(name, 'negative', '%s: %s' % (v[base]['description'], change),
                          {'derived_from': base, 'change': change}, transport, data,
                          v[base]['serial'], v[base]['keys'] if keys is None else keys,
                          telegrams, errors, v[base]['truth'], list(notes), extra))

    k1, k2 = 'kaifa-kfm001-ma304h3e-list1', 'kaifa-kfm001-ma304h3e-list2'
    b1, b2 = ctx[k1].raw, ctx[k2].raw
    t1, t2 = v[k1]['expect']['telegrams'][0], v[k2]['expect']['telegrams'][0]
    hcs_at = ctx[k2].frames[0]['hcs_at']
    neg('hdlc-hcs-bitflip', k2, 'bit 0 of HDLC HCS byte %d flipped; list 1 frame follows' % hcs_at,
        'hdlc', flip(b2, hcs_at) + b1, [t1], [err('hdlc', 'hdlc_hcs_mismatch', 0)],
        notes=['the length field is not trusted after a bad HCS, so a framer may also discard the '
               'rest of the broken frame as hdlc_garbage (errors_exhaustive false)'],
        extra={'errors_exhaustive': False})
    fcs_at = len(b2) - 3
    neg('hdlc-fcs-bitflip', k2, 'bit 0 of HDLC FCS byte %d flipped; list 1 frame follows' % fcs_at,
        'hdlc', flip(b2, fcs_at) + b1, [t1], [err('hdlc', 'hdlc_fcs_mismatch', 0)])
    neg('hdlc-truncated', k2, 'list 1 frame, then the list 2 frame cut after 50 bytes',
        'hdlc', b1 + b2[:50], [t1], [err('hdlc', 'hdlc_truncated', len(b1))],
        notes=['input ends inside the second frame: hdlc_truncated at its opening flag'])
    garbage = bytes.fromhex('0011227e334455')
    neg('hdlc-garbage-between-frames', k1, '7 garbage bytes 00 11 22 7e 33 44 55 between the list 1 '
        'and list 2 frames', 'hdlc', b1 + garbage + b2, [t1, t2],
        [err('hdlc', 'hdlc_bad_format', len(b1))],
        notes=['the garbage holds a 0x7E followed by 0x33 (not a type 3 format byte): one '
               'discard from its first byte; the run is reported with its most telling fault, '
               'the false flag whose format is not type 3 (hdlc_bad_format)'])

    ka = 'aidon-6525-list1'
    ba = ctx[ka].raw
    # Aidon list 1: 7E A0 2A 41 08 83 13 HCS(2) | E6 E7 00 | 0F 40000000 00 01 01 02 03 09 06
    # <OBIS 6> 06 <u32> ...: the APDU starts at stream byte 12; the value's type tag (06,
    # double-long-unsigned) is APDU byte 18. Tag 07 is not in the A-XDR data set.
    apdu_at, tag_at = 12, 18
    assert ba[apdu_at] == 0x0F and ba[apdu_at + tag_at] == 0x06
    data = bytearray(ba)
    data[apdu_at + tag_at] = 0x07
    data = refcs_hdlc(bytes(data))
    neg('axdr-unknown-type', ka, 'type tag of the power value (APDU byte %d) changed from 06 to '
        'the undefined 07, FCS recomputed' % tag_at, 'hdlc', data + b1, [t1],
        [err('axdr', 'axdr_unknown_type', tag_at)],
        notes=['the frame is valid: the A-XDR layer rejects the body at the bad tag; the list 1 '
               'frame after it still decodes'])
    data = bytearray(ba)
    data[apdu_at + 9] = 0x7F  # structure of 3 -> of 127: more than the bytes that are left
    assert ba[apdu_at + 8] == 0x02 and ba[apdu_at + 9] == 0x03
    data = refcs_hdlc(bytes(data))
    neg('axdr-count-beyond-body', ka, 'element count of the first structure (APDU byte 9) raised '
        'from 3 to 127, FCS recomputed', 'hdlc', data, [],
        [err('axdr', 'axdr_too_many', 9)],
        notes=['127 elements cannot fit in the bytes that are left: rejected before anything is '
               'read or reserved'])

    kt, ks = 'tinetz-kaifa-ma309-walkthrough', 'salzburgnetz-doc-sample-single-frame'
    f = ctx[kt].frames
    s1, s2 = ctx[kt].raw[:f[0]['length']], ctx[kt].raw[f[0]['length']:]
    tt = v[kt]['expect']['telegrams'][0]
    sz = ctx[ks].raw
    neg('mbus-checksum-bitflip', ks, 'bit 0 of the M-Bus checksum byte %d flipped' % (len(sz) - 2),
        'mbus', flip(sz, len(sz) - 2), [], [err('mbus', 'mbus_checksum_mismatch', 0)])
    neg('mbus-data-bitflip', kt, 'bit 3 of data byte 100 of the CI 00 frame flipped (checksum '
        'not recomputed)', 'mbus', flip(s1, 100, 3) + s2, [],
        [err('mbus', 'mbus_checksum_mismatch', 0), err('mbus', 'mbus_segment_orphan', len(s1))],
        notes=['the broken first segment is discarded, so its CI 11 continuation is an orphan'])
    neg('mbus-truncated', kt, 'whole two-segment message, then the Salzburg single frame cut '
        'after 40 bytes', 'mbus', s1 + s2 + sz[:40], [tt],
        [err('mbus', 'mbus_truncated', len(s1) + len(s2))])
    neg('mbus-segment-missing', kt, 'only the CI 11 (final) frame of the two-segment message',
        'mbus', s2, [], [err('mbus', 'mbus_segment_orphan', 0)])
    neg('mbus-segment-repeated', kt, 'CI 00 frame sent twice, then CI 11', 'mbus', s1 + s1 + s2,
        [tt], [err('mbus', 'mbus_segment_duplicate', len(s1))],
        notes=['the repeated first segment is reported and drops the pending message (nothing '
               'is glued); being a first segment itself it opens the message anew, and the CI 11 '
               'completes it: one telegram, from the second CI 00 and the CI 11'])
    neg('mbus-segments-reordered', kt, 'CI 11 frame first, then CI 00', 'mbus', s2 + s1, [],
        [err('mbus', 'mbus_segment_orphan', 0), err('mbus', 'mbus_segment_lost', len(s2))],
        notes=['CI 11 without a first segment: orphan; the CI 00 then waits for a continuation that '
               'never comes: at end of input the pending message is dropped with '
               'mbus_segment_lost at its first segment'])

    kb = 'lg-e450-burgenland-gh501-1'
    cb = ctx[kb]
    fr = cb.frames[0]
    apdu_at = fr['hcs_at'] + 2 + 3  # HCS, then LLC E6 E7 00
    _, _, _, rest, ct_off = split_ciphered(cb.apdu)
    pos = apdu_at + ct_off + 20
    data = refcs_hdlc(flip(cb.raw, pos))
    neg('sc30-ciphertext-bitflip', kb, 'bit 0 of ciphertext byte %d (APDU offset %d) flipped, FCS '
        'recomputed' % (pos, ct_off + 20), 'hdlc', data, [],
        [err('security', 'security_auth_failed')], notes=[NOTE_SEC_OFFSET,
                                                          'the frame itself is valid'])
    pos = len(cb.raw) - 4  # last tag byte, before FCS (2) and flag
    data = refcs_hdlc(flip(cb.raw, pos))
    neg('sc30-tag-bitflip', kb, 'bit 0 of the last GCM tag byte (stream byte %d) flipped, FCS '
        'recomputed' % pos, 'hdlc', data, [], [err('security', 'security_auth_failed')],
        notes=[NOTE_SEC_OFFSET])
    bad = wrong_key(cb.apdu, cb.ek, cb.ak)
    keys = [dict(v[kb]['keys'][0], ek=bad.hex())]
    neg('sc30-wrong-key', kb, 'encryption key replaced by a wrong one (authentication key kept)',
        'hdlc', cb.raw, [], [err('security', 'security_wrong_key')], keys=keys,
        notes=[NOTE_SEC_OFFSET, 'the tag fails and the plaintext does not start with 0x0F: the '
               'key, not the frame, is wrong (a corrupted frame keeps its 0F: auth_failed)'])
    ka = 'aidon-6525-list3'
    ca, ta = ctx[ka], v[ka]['expect']['telegrams'][0]
    clock_at = ca.raw.find(bytes.fromhex('090c07e3060c03120000ff003c00')) + 2
    for name, field, raw, change in (
            ('clock-weekday-0', 4, 0x00, 'day of the week 0 (some meters send 0 on Sundays)'),
            ('clock-hundredths-100', 8, 0x64, 'hundredths 100 (out of range)')):
        data = bytearray(ca.raw)
        data[clock_at + field] = raw
        neg(name, ka, 'list clock: %s, FCS recomputed' % change, 'hdlc',
            refcs_hdlc(bytes(data)), [ta], [],
            notes=['issue 16: a clock field that does not change the instant (day of the week, '
                   'hundredths) is ignored out of range; the telegram is the original one'])
    data = bytearray(ca.raw)
    data[clock_at + 2] = 13
    neg('clock-month-13', ka, 'list clock: month 13, FCS recomputed', 'hdlc',
        refcs_hdlc(bytes(data)), [impossible_clock(ta, clock_at + 2 - ca.raw.find(ca.apdu))], [],
        notes=['issue 16: an impossible date makes the clock reading null, with a warning '
               '(cosem_bad_date_time at the month, APDU offset) in the telegram; every other '
               'reading comes out, and the telegram has no timestamp (its only clock is the '
               "list's)"])
    kg = 'lg-e450-ch-gh740-gbt-3frames'
    fg = ctx[kg].frames
    neg('dlms-gbt-unfinished', kg, 'the last of the three frames (the last GBT block) removed',
        'hdlc', ctx[kg].raw[:fg[2]['offset']], [], [err('dlms', 'dlms_gbt_unfinished')],
        notes=['issue 16: a general block transfer without its last block at the end of the '
               'input is reported (dlms_gbt_unfinished, its frame the first two frames), not '
               'dropped silently; the offset is how much of the APDU had come'])
    ke = 'evn-netznoe-kaifa-ma309-doc-example'
    ce = ctx[ke]
    bad = wrong_key(ce.apdu, ce.ek, None)
    keys = [dict(v[ke]['keys'][0], ek=bad.hex())]
    neg('sc20-wrong-key', ke, 'encryption key replaced by a wrong one', 'mbus', ce.raw, [],
        [err('security', 'security_wrong_key')], keys=keys,
        notes=[NOTE_SEC_OFFSET, 'SC 0x20 has no tag: the plaintext does not start with 0x0F'])
    return out


def impossible_clock(t, month_at):
    """The telegram `t` when its list clock (its only clock) has an impossible month."""
    out = dict(t, timestamp=None, timestamp_utc=None, timestamp_source=None)
    out['clock_warnings'] = [{'code': 'cosem_bad_date_time', 'layer': 'cosem',
                              'message': 'COSEM date-time with impossible fields',
                              'offset': month_at}]
    out['readings'] = [dict(r, value=None) if r['obis'] == '0-0:1.0.0.255' else r
                       for r in t['readings']]
    return out


def positional(position, value):
    return {'obis': None, 'position': position, 'value': value}


def generic_vectors():
    """Bodies no layout identifies (issue 16), built by hand: the generic mapping gives every
    value, OBIS-coded ones by their code, the rest by position."""
    def one(name, description, apdu, readings, notes, **kw):
        frame = hdlc_frame(b'\x41', b'\x08\x83', 0x13, bytes.fromhex('e6e700') + apdu)
        t = telegram('plain', readings, complete=True, **kw)
        source = {'constructed': 'by hand (tools/import_vectors.py generic_vectors)'}
        return vector(name, 'generic', description, source, 'hdlc', frame, None, [], [t], [],
                      'derived', notes)
    head = bytes.fromhex('0f0000000100')
    clock = '090c07e8060907' '0c0000' '00' '8000' 'ff'
    positional_list = head + bytes.fromhex(
        '0205' '0a08' + b'MYLIST_1'.hex() + '0600000834' '1200ec' '10ff9c' + clock)
    obis_list = head + bytes.fromhex(
        '0202' '0202' '0906' '0100010700ff' '06000006a0'
        '0202' '0906' '0100020800ff' '0600012345')
    proprietary = head + bytes.fromhex('0910' '00112233445566778899aabbccddeeff')
    return [
        one('generic-unknown-positional-list',
            'A positional list no layout knows: list id, three numbers, a date-time',
            positional_list,
            [positional('1', 'MYLIST_1'), positional('2', 2100), positional('3', 236),
             positional('4', -100), positional('5', '2024-06-09T12:00:00')],
            ['every value by its position, raw (no scaler, no unit); the leading string is the '
             'list id, the date-time the clock'],
            list_id='MYLIST_1', timestamp='2024-06-09T12:00:00'),
        one('generic-obis-list-without-scalers',
            'OBIS-coded objects without {scaler, unit}: structure{OBIS, value} x 2',
            obis_list,
            [{'obis': '1-0:1.7.0.255', 'value': 1696, 'unit': ''},
             {'obis': '1-0:2.8.0.255', 'value': 74565, 'unit': ''}],
            ['named by their OBIS codes, raw and without a unit: no scaler is guessed']),
        one('generic-proprietary-body',
            'A proprietary body: one octet-string of 16 bytes that is not text',
            proprietary,
            [positional('1', '00112233445566778899aabbccddeeff')],
            ['the one value, as hex, at position 1']),
    ]


# --------------------------------------------------------------------------------------------
# Checks

LINK_BREAKS = {'hdlc_hcs_mismatch', 'hdlc_fcs_mismatch', 'mbus_checksum_mismatch', 'mbus_bad_length'}


def check_link(v):
    """Every frame's HCS/FCS/checksum holds unless the vector expects that break; the frames
    cover the input except where garbage or truncation is expected."""
    data = bytes.fromhex(v['input_hex'])
    codes = {e['code'] for e in v['expect']['errors']}
    if codes & LINK_BREAKS:
        check_intended_break(v, data, codes)
        return
    if v['transport'] == 'hdlc':
        frames, end = hdlc_scan(data)
        ok = all(f['hcs_ok'] and f['fcs_ok'] for f in frames)
        if codes & {'hdlc_garbage', 'hdlc_bad_format'}:  # good frames on both sides of the garbage
            g = [e['frame_offset'] for e in v['expect']['errors'] if e['code'] in ('hdlc_garbage', 'hdlc_bad_format')][0]
            assert end == g, v['name']
            rest, end2 = hdlc_scan(data[g:][data[g:].find(b'\x7e\xa0'):] if
                                   data[g:].find(b'\x7e\xa0') >= 0 else b'')
            ok = ok and all(f['hcs_ok'] and f['fcs_ok'] for f in rest)
        elif 'hdlc_truncated' not in codes:
            assert end == len(data), v['name'] + ': bytes after the last HDLC frame'
        assert ok and frames, v['name'] + ': HDLC check sequence'
    elif v['transport'] == 'mbus':
        frames, end = mbus_scan(data)
        assert frames and all(f['cs_ok'] and f['stop_ok'] for f in frames), v['name']
        if 'mbus_truncated' not in codes:
            assert end == len(data), v['name'] + ': bytes after the last M-Bus frame'


def check_intended_break(v, data, codes):
    """The frame named by the error is broken the intended way; every other frame is valid."""
    if 'mbus_bad_length' in codes:
        assert data[1:3] == b'\x00\x00', v['name']
        return
    bad = {e['frame_offset'] for e in v['expect']['errors'] if e['code'] in LINK_BREAKS}
    frames = hdlc_scan(data)[0] if v['transport'] == 'hdlc' else mbus_scan(data)[0]
    assert frames, v['name']
    for f in frames:
        good = f['hcs_ok'] and f['fcs_ok'] if v['transport'] == 'hdlc' else f['cs_ok']
        assert good == (f['offset'] not in bad), v['name'] + ': frame at %d' % f['offset']
        if 'hdlc_hcs_mismatch' in codes and f['offset'] in bad:
            assert not f['hcs_ok'] and f['fcs_ok'] is False, v['name']


def check_vector(v):
    assert set(v) >= {'name', 'category', 'description', 'source', 'transport', 'input_hex',
                      'serial', 'keys', 'expect', 'truth', 'notes'}
    if v['category'] == 'p1':
        return p1_vectors.check(v)
    assert v['transport'] in ('hdlc', 'mbus', 'apdu') and v['truth'] in (
        'source_stated', 'derived', 'document')
    assert re.fullmatch(r'[0-9a-f]+', v['input_hex'])
    for t in v['expect']['telegrams']:
        assert t['security'] in ('plain', 'decrypted', 'authenticated', 'decrypted_unverified')
        keys = [r['obis'] or '@' + r['position'] for r in t['readings']]
        assert len(keys) == len(set(keys)), v['name'] + ': duplicate OBIS'
        for r in t['readings']:
            if r['obis'] is None:  # a reading no layout names: its position instead (issue 16)
                assert re.fullmatch(r'\d+(\.\d+)*', r['position']), r
                assert isinstance(r['value'], (int, float, str)), r
                continue
            assert re.fullmatch(r'\d+-\d+:\d+\.\d+\.\d+\.\d+', r['obis']), r
            # null: an impossible clock (its warning in clock_warnings, issue 16)
            assert isinstance(r['value'], (int, float, str)) or (
                r['value'] is None and t.get('clock_warnings')), r
            if isinstance(r['value'], (int, float)):
                assert r['unit'] in UNIT_NAMES.values(), r
    for e in v['expect']['errors']:
        assert e['code'].startswith(e['layer'] + '_'), e
    check_link(v)


def cross_checks(v):
    """Source-stated values against the written expectations (spot checks with fixed units)."""
    def by(name):
        return {r['obis']: r['value'] for r in v[name]['expect']['telegrams'][0]['readings']}
    r = by('kaifa-kfm001-ma304h3e-list2')
    assert r['1-0:31.7.0.255'] == 0.954 and r['1-0:32.7.0.255'] == 239.2 and r['1-0:72.7.0.255'] == 238
    r = by('kamstrup-6841121-list1')
    assert r['1-1:31.7.0.255'] == 5.64 and r['1-1:32.7.0.255'] == 232 and r['1-1:4.7.0.255'] == 462
    r = by('kamstrup-6841121-list2')
    assert r['1-1:1.8.0.255'] == 4272440 and r['0-1:1.0.0.255'] == '2017-10-20T04:00:05'
    r = by('kaifa-se-gh242-1-list3')
    assert r['1-0:1.8.0.255'] == 1142 and r['1-0:32.7.0.255'] == 232.2 and r['1-0:31.7.0.255'] == 0.032
    r = by('kaifa-se-llc-pdu-amshan')
    assert r['0-0:1.0.0.255'] == '2021-09-22T17:35:30+01:00'
    r = by('lg-e450-ch-gh934-reassembled')
    assert r['1-0:32.7.0.255'] == 234 and r['1-0:31.7.0.255'] == 0.49 and r['1-1:1.8.0.255'] == 4912257
    r = by('lg-e450-ch-gh740-gbt-3frames')
    assert r['1-1:1.8.0.255'] == 2302502 and r['1-0:51.7.0.255'] == 1.05
    r = by('iskra-am550-si-gh615-1')
    assert r['1-0:32.7.0.255'] == 237.9 and r['1-0:71.7.0.255'] == 5.97
    r = by('evn-netznoe-kaifa-ma309-doc-example')
    assert r['1-0:1.8.0.255'] == 12937 and r['1-0:32.7.0.255'] == 233.7
    assert r['0-0:1.0.0.255'] == '2021-09-27T09:47:15+02:00'
    r = by('aidon-doc-se-rj12-3phase')
    assert r['1-0:51.7.0.255'] == 7.5 and r['1-0:1.8.0.255'] == 10049926


# --------------------------------------------------------------------------------------------
# README

README_HEAD = """# meterlab golden vectors

One JSON object per file, `vectors/<category>/<name>.json`. Categories: `hdlc-plain`,
`hdlc-encrypted`, `mbus-plain`, `mbus-encrypted`, `apdu` (imported from public sources, their
`source` kept verbatim), `seeds` (built by hand from the seed documents), `negative` (derived from
the others with one deliberate change each), `simulated` (a short run of every simulator profile,
`"truth": "simulator"`, `source.simulator` = profile, seed, start, duration and sha256), `p1`
(DSMR / IEC 62056-21 text telegrams, plain and encrypted: every vector of upstream/dsmr and
constructed ones, built by tools/p1_vectors.py).

All files are generated: do not edit them by hand, change `tools/import_vectors.py` and rerun it
(`simulated/`: `tools/simulated_vectors.py build/cli/meterlab`, after a deliberate change of the
simulator or a profile; `sim_run_test` fails until they are regenerated, so such a change always
shows up as a diff of these files).

## Format

```
{
  "name": "kaifa-kfm001-ma304h3e-list1",          // = file name without .json
  "category": "hdlc-plain",                        // the folder
  "description": "Kaifa MA304H3E, NO HAN / KFM_001 list 1",
  "source": { ... },                               // verbatim from shared/vectors (repo/commit/path or url)
                                                   //   seeds: {"document": "shared/seeds/...", "section": "..."}
                                                   //   negative: {"derived_from": "<vector>", "change": "..."}
  "transport": "hdlc" | "mbus" | "apdu" | "p1",    // how the decoder must read input_hex
  "input_hex": "7ea0...",                          // the bytes fed to the decoder (lowercase)
  "serial": "2400 8E1" | null,                     // line settings as the source states them
  "keys": [ {"system_title": "4b464d..." | null, "ek": "...", "ak": "..." | null} ],  // [] when none
  "expect": {
    "telegrams": [                                  // in stream order; [] when everything is rejected
      {
        "meter_id": "...", "meter_type": "...", "list_id": "...",   // each optional: compared when present
        "timestamp": "2021-09-27T09:47:15+02:00",   // APDU date-time, else the list's clock reading
        "security": "plain" | "decrypted" | "authenticated" | "decrypted_unverified",
        "system_title": "4b464d1010000023",         // when ciphered
        "invocation_counter": 2710426,               // when ciphered (decimal)
        "segments": 2,                               // optional: link frames that made the message
        "readings_complete": true,                   // true: exactly these readings; false: at least these
        "readings": [
          {"obis": "1-0:1.7.0.255", "value": 1696, "unit": "W"},
          {"obis": "0-0:96.1.0.255", "value": "7359992892587665"},
          {"obis": "0-0:1.0.0.255", "value": "2021-09-27T09:47:15+02:00"}
        ]
      }
    ],
    "errors": [                                     // rejections that must be reported, in order
      {"layer": "security", "code": "security_no_key"}            // offset when it is defined
    ]
  },
  "errors_exhaustive": false,                        // OPTIONAL (added), default true: see below
  "truth": "source_stated" | "derived" | "document",
  "precision": 1e-6,                                 // optional relative tolerance (default 1e-9)
  "notes": ["quirks copied from the source vector", "..."]
}
```

## Conventions

- Units: DLMS base units W, var, VA, Wh, varh, VAh, V, A, Hz; "" for counts, ids, power factor.
  Energy in Wh even where a source prints kWh (13529.97 kWh -> 13529970 Wh).
- Values are scaled: raw x 10^scaler (2276 with scaler -1 V -> 227.6). Lists without scalers on the
  wire use their documented convention (notes say which): Kamstrup current 0.01 A, voltage 1 V,
  energy 0.01 kWh, power factor 0.01; Kaifa KFM_001 and Kaifa SE current mA, voltage 0.1 V, energy
  Wh; L&G E450 CH voltage 1 V, current 0.01 A, energy Wh.
- Strings: visible-string/utf8 as text; an octet-string of printable ASCII (0x20..0x7E), non-empty,
  as text, otherwise lowercase hex; a clock (x-x:1.0.0.255) or date-time as ISO 8601
  `YYYY-MM-DDTHH:MM:SS` + `.hh` only when hundredths are specified and non-zero + `+HH:MM` from the
  deviation when specified (deviation = UTC - local in minutes: -120 -> +02:00; 0x8000 -> no offset).
  The clock status byte is not part of the text.
- Every OBIS-coded object is a reading (list id, meter id, meter type, clock included), with the
  OBIS code exactly as sent (Kamstrup's 1-1:..., 0-1:1.0.0.255). Positional lists get the OBIS code
  of each position from the documented meaning; positions whose meaning is not documented are left
  out and that telegram says `readings_complete: false` (its notes say why).
- meter_id comes from 0-0:96.1.0.255 (Kamstrup: 1-1:0.0.5.255), never from the system title.
- Security: plain; SC 0x20/0x21 decrypted with the key -> "decrypted"; SC 0x30 with EK and AK (tag
  verified) -> "authenticated"; with EK only -> "decrypted_unverified".
- Error names and layers: engine/core/error.cpp.
- P1 (`transport: "p1"`): input_hex is the byte stream (the telegram text, or the bare encrypted
  frame DB 08 ...). Each telegram also says `check`: `crc16` (its CRC-16/ARC matched), `gcm_tag`
  (an encrypted frame whose tag verified) or `none` (no CRC in this DSMR version). Values are exact
  decimals in base units (012345.678*kWh -> 12345678 Wh, kW -> W, kvar(h) -> var(h), V, A, m3 as
  sent); a timestamp YYMMDDhhmmssX gives +02:00 for S and +01:00 for W (CET/CEST); hex-coded
  identifiers and messages (0-n:96.1.x, 0-0:96.13.x, 0-0:42.0.0) are text when their bytes are
  printable. One OBIS code may give several readings (a buffer: 1-0:99.97.0 gives its count, then
  one 0-0:96.7.19 duration per power failure; 0-0:98.1.0 its count and one 1-0:1.6.0 peak per
  month); a value with a time of its own (0-n:24.2.1, 1-0:1.6.0, the buffers' entries) has
  `capture_time`. A bad timestamp's value is null. Framer discards give `frame_offset` (the first
  discarded byte); `p1_bad_line` and `p1_bad_timestamp` give `offset` (the line or the group's
  '(' in the stream, or in the plaintext of an encrypted frame). `expect.warnings` (optional):
  what is reported without a rejection (an inner CRC that differs under a verified tag).
- Error offsets: for link-layer errors (hdlc, mbus) a vector gives `frame_offset`: the stream
  offset (in input_hex) of the first byte of the thing rejected, compared with the decoder's
  `frame.offset`: the opening flag / 0x68 of a broken or truncated frame, the first byte of a
  garbage run, the first frame of a segment that is lost, repeated or orphaned. (The decoder's own
  `offset` says which byte the fault was seen at, e.g. the FCS.) dlms, axdr and cosem errors give
  `offset` inside the (reassembled, decrypted) APDU. Security errors carry no offset (a failed tag
  or a wrong key concerns the whole ciphered APDU).
- `errors` is the exact list of rejections, in order. Where a broken frame may legitimately cause
  further link-layer discards after the listed ones (e.g. a bad HCS: the length field can no longer
  be trusted, so the rest of the frame may come out as hdlc_garbage), the vector says
  `"errors_exhaustive": false`: the listed errors must appear in order, further hdlc/mbus discards
  after them are allowed. (This optional field is an addition to the original format.)
- M-Bus segments (decisions written into the negative vectors): a continuation without its first
  segment is `mbus_segment_orphan`; a repeated segment is `mbus_segment_duplicate` and drops the
  pending message; a repeated first segment then opens the message anew (a retransmitted first
  segment still gives its telegram with the continuation that follows); a first segment still waiting for its
  continuation at end of input is dropped with `mbus_segment_lost` at its offset.

## Regenerate

```
python3 tools/import_vectors.py                      # reads vectors/upstream, writes vectors/
python3 tools/import_vectors.py SHARED_VECTORS OUT    # explicit paths
```

The script (Python 3, standard library only) checks as it writes: HCS/FCS and M-Bus checksums
valid except where a vector breaks them on purpose, stated values match the written
expectations, every file parses as JSON. It does no AES: that keys decrypt, tags verify and wrong
keys give garbage is shown by the engine's tests (through Botan) on these vectors.
It prints the number of vectors per category.

Seeds 002-004 (kaifareader and kaifa-meter READMEs, kaifareader source) contain no frame bytes, so
they give no vectors; what they show (Solarview lines `1.8.0(005305.034*kWh)` from A+/A- in kWh,
the OBIS codes the reader keys on) is covered by the Kaifa MA309 vectors' readings.

## Vectors

| name | category | family | transport | security | truth | expected |
|---|---|---|---|---|---|---|
"""


def expect_summary(v):
    parts = []
    for t in v['expect']['telegrams']:
        parts.append('%d readings%s' % (len(t['readings']),
                                        '' if t['readings_complete'] else ' (partial)'))
    errs = ['%s%s' % (e['code'], '@%d' % e.get('frame_offset', e.get('offset')) if ('offset' in e or 'frame_offset' in e) else '')
            for e in v['expect']['errors']]
    s = ('%d telegram(s): %s' % (len(parts), ', '.join(parts))) if parts else 'no telegram'
    return s + ('; errors: ' + ', '.join(errs) if errs else '')


def security_summary(v):
    states = sorted({t['security'] for t in v['expect']['telegrams']})
    if states:
        return '/'.join(states)
    data = bytes.fromhex(v['input_hex'])
    return 'ciphered' if b'\xdb\x08' in data or v['keys'] else 'plain'


def family_of(v, fam):
    return fam.get(v['name']) or fam.get(v['source'].get('derived_from', '')) or ''


# --------------------------------------------------------------------------------------------
# Main

CATEGORIES = ('hdlc-plain', 'hdlc-encrypted', 'mbus-plain', 'mbus-encrypted', 'apdu')


def main(argv):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shared = argv[1] if len(argv) > 1 else os.path.join(repo, 'vectors', 'upstream')
    out_dir = argv[2] if len(argv) > 2 else os.path.join(repo, 'vectors')
    # The seed documents (third-party texts) are not kept in the repo: they are read from the
    # shared folder beside it when present (argument 3), else the seed vectors already written
    # are kept as they are.
    seeds_dir = argv[3] if len(argv) > 3 else os.path.join(repo, '..', 'shared', 'seeds')
    vecs, ctx, fam = {}, {}, {}
    for cat in CATEGORIES:
        for fn in sorted(os.listdir(os.path.join(shared, cat))):
            if not fn.endswith('.json'):
                continue
            d = json.load(open(os.path.join(shared, cat, fn), encoding='utf-8'))
            c = Ctx(d)
            v = import_source(c, cat)
            vecs[v['name']], ctx[v['name']], fam[v['name']] = v, c, d['family']
            for comp in companions(c, v):
                vecs[comp['name']], fam[comp['name']] = comp, d['family']
    cross_checks(vecs)
    if os.path.isdir(seeds_dir):
        for v in seed_kaifa_ma304h4d(seeds_dir), *seeds_vkw(seeds_dir):
            vecs[v['name']] = v
    else:
        print('seed documents not found at %s: keeping vectors/seeds as written' % seeds_dir)
        for fn in sorted(os.listdir(os.path.join(out_dir, 'seeds'))):
            if fn.endswith('.json'):
                v = json.load(open(os.path.join(out_dir, 'seeds', fn), encoding='utf-8'))
                vecs[v['name']] = v
    fam['kaifa-ma304h4d-list3-mbus-doc'] = 'Kaifa KFM_001 (NO)'
    fam['vkw-kaifa-ma309m-readme-frame'] = fam['vkw-kaifa-ma309m-readme-xml'] = 'Kaifa MA309 (AT)'
    for v in negatives(vecs, ctx):
        vecs[v['name']] = v
    for v in generic_vectors():
        vecs[v['name']] = v
    # The P1 vectors glue telegrams with an HDLC frame between them.
    hdlc = json.load(open(os.path.join(shared, 'hdlc-plain', 'kaifa-kfm001-ma304h3e-list1.json'),
                          encoding='utf-8'))['hex']
    p1, p1_families = p1_vectors.build(shared, serial_of, bytes.fromhex(hdlc).decode('latin-1'))
    for v in p1:
        vecs[v['name']] = v
    fam.update(p1_families)
    counts = {}
    rows = []
    for name in sorted(vecs, key=lambda n: (vecs[n]['category'], n)):
        v = vecs[name]
        check_vector(v)
        path = os.path.join(out_dir, v['category'], name + '.json')
        os.makedirs(os.path.dirname(path), exist_ok=True)
        text = json.dumps(v, indent=1, ensure_ascii=False) + '\n'
        json.loads(text)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        counts[v['category']] = counts.get(v['category'], 0) + 1
        rows.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            name, v['category'], family_of(v, fam), v['transport'], security_summary(v), v['truth'],
            expect_summary(v)))
    with open(os.path.join(out_dir, 'README.md'), 'w', encoding='utf-8') as f:
        f.write(README_HEAD + '\n'.join(rows) + '\n')
    for cat in sorted(counts):
        print('%-16s %3d' % (cat, counts[cat]))
    print('%-16s %3d' % ('total', sum(counts.values())))
    digest = hashlib.sha256(''.join(sorted(vecs)).encode()).hexdigest()[:12]
    print('names digest', digest)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
