"""The DSMR / P1 part of tools/import_vectors.py: vectors/p1 (category p1, transport p1).

Every DSMR vector of vectors/upstream/dsmr in the project format, and constructed ones for each
rule of issue 17 (CRC flip, truncation, no CRC, DSMR 2.2 gas, power-failure log, Belgian peak,
encrypted with and without AK, forged tag, month 13, non-hex CRC, a bad line).

The expected readings come from the small P1 reader below, written from the DSMR 5.0.2 P1
companion standard and IEC 62056-21 (not from the engine): values as exact decimals in base units
(kWh -> Wh, kW -> W, kvar(h) -> var(h), V, A, m3 as sent), timestamps YYMMDDhhmmssX with
S = +02:00, W = +01:00 (CET/CEST), hex-coded identifiers and messages decoded. They are checked
against the values each source states (its derived decode, the amsreader golden values).
Standard library only: no AES here; the encrypted vectors take their plaintext from the source's
verified decryption, and the engine's tests decrypt for real.
"""

import datetime
import re
from decimal import Decimal

CRC_POLY_REFLECTED = 0xA001  # CRC-16/ARC, DSMR 5.0.2 clause 6.2
BASE_UNITS = ('W', 'VA', 'var', 'Wh', 'VAh', 'varh', 'A', 'V', 'Hz', 'm3', 's')
MAX_DIGITS = 18
MAX_GROUPS = 128
# DSMR's reduced form A-B:C.D.E (F = 255), or IEC 62056-61's full form A-B:C.D.E*F.
OBIS_RE = re.compile(r'^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)(?:\*(\d+))?$')
NUMBER_RE = re.compile(r'^-?\d+(\.\d+)?$')
GROUP_RE = re.compile(r'\(([^()]*)\)')
OFFSETS = {'S': '+02:00', 'W': '+01:00'}


def crc16_arc(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ CRC_POLY_REFLECTED if crc & 1 else crc >> 1
    return crc


def close(body, with_crc=True):
    """`body` ('/' up to the '!') with its '!' line: CRC-16/ARC over '/'..'!' or none."""
    body += '!'
    if with_crc:
        body += '%04X' % crc16_arc(body.encode('latin-1'))
    return body + '\r\n'


# --------------------------------------------------------------------------------------------
# Values


def obis_of(s):
    m = OBIS_RE.match(s)
    if not m or any(int(g) > 255 for g in m.groups() if g is not None):
        return None
    return '%s-%s:%s.%s.%s.%s' % (m.groups()[:5] + (m.group(6) or '255',))


def number(digits, unit):
    """(Decimal value in base units, base unit) or None."""
    if unit in BASE_UNITS or unit == '':
        scale = 0
    elif unit.startswith('k') and unit[1:] in BASE_UNITS:
        unit, scale = unit[1:], 3
    else:
        return None
    if not NUMBER_RE.match(digits) or sum(c.isdigit() for c in digits) > MAX_DIGITS:
        return None
    return Decimal(digits).scaleb(scale), unit


def json_number(d):
    return int(d) if d == d.to_integral_value() else float(d)


def eu_offset(y, mo, dd, hh, mi, ss):
    """The offset of a CET wall-clock time without the S/W flag (DSMR 2.2) by the EU summer-time
    rule (last Sunday of March 02:00 CET to last Sunday of October 03:00 CEST): '' in the hour
    the clock skips in March and the hour it shows twice in October."""
    def change(month):  # the wall time the hour at issue begins: 02:00 on the last Sunday
        last = datetime.date(y, month, 31)
        return datetime.datetime.combine(last - datetime.timedelta(days=(last.weekday() + 1) % 7),
                                         datetime.time(2))
    try:
        wall = datetime.datetime(y, mo, dd, hh, mi, ss)
    except ValueError:
        return ''
    hour = datetime.timedelta(hours=1)
    spring, autumn = change(3), change(10)
    if spring <= wall < spring + hour or autumn <= wall < autumn + hour:
        return ''
    return '+02:00' if spring + hour <= wall < autumn else '+01:00'


def timestamp(s, flag_optional=False):
    """'ok' + ISO text, 'bad', or None (not a timestamp)."""
    m = re.match(r'^(\d{12})([SW]?)$', s)
    if not m or (not m.group(2) and not flag_optional):
        return None
    d = m.group(1)
    yy, mo, dd, hh, mi, ss = (int(d[i:i + 2]) for i in range(0, 12, 2))
    if not (1 <= mo <= 12 and 1 <= dd <= 31 and hh <= 23 and mi <= 59 and ss <= 59):
        return 'bad', None
    iso = '%04d-%02d-%02dT%02d:%02d:%02d' % (2000 + yy, mo, dd, hh, mi, ss)
    if not m.group(2):
        return 'ok', iso + eu_offset(2000 + yy, mo, dd, hh, mi, ss)
    return 'ok', iso + OFFSETS[m.group(2)]


def hex_text(s):
    if s and len(s) % 2 == 0 and re.fullmatch(r'[0-9A-Fa-f]+', s):
        b = bytes.fromhex(s)
        if all(0x20 <= c <= 0x7E for c in b):
            return b.decode('ascii')
    return s


def text_kind(obis):
    c, d, e = (int(x) for x in obis.split(':')[1].split('.')[:3])
    # Versions, and the IEC 62056-21 device address 1-0:0.0.0 (an identifier: zeros kept).
    if (c, d, e) in ((0, 0, 0), (0, 2, 8), (96, 1, 4)):
        return 'plain'
    if (c == 96 and d in (1, 13)) or (c == 42 and d == 0):
        return 'hex'
    return 'number'


# --------------------------------------------------------------------------------------------
# Telegram text -> expected telegram


class Reader:
    """One telegram's readings and problems (offsets from `base`)."""

    def __init__(self, base):
        self.base, self.readings, self.problems = base, [], []

    def stamp(self, group, flag_optional=False):
        text, at = group
        t = timestamp(text, flag_optional)
        if t and t[0] == 'bad':
            self.problems.append(('p1_bad_timestamp', self.base + at))
        return t

    def number_or_text(self, obis, group, kind):
        text = group[0]
        digits, star, unit = text.partition('*')
        if star or kind == 'number':
            n = number(digits, unit) if star else number(text, '')
            if n:
                r = {'obis': obis, 'value': json_number(n[0]), '_kind': 'number'}
                if n[1]:
                    r['unit'] = n[1]
                return r
        return {'obis': obis, 'value': hex_text(text) if kind == 'hex' else text, '_kind': 'text'}

    def value(self, obis, group, kind):
        t = self.stamp(group)
        if t is None:
            return self.number_or_text(obis, group, kind)
        return {'obis': obis, 'value': t[1], '_kind': 'date_time' if t[1] else 'null'}

    def buffer(self, obis, groups):
        if len(groups) < 2 or not obis_of(groups[1][0]) or not re.fullmatch(r'\d+', groups[0][0]):
            return False
        if len(groups[0][0]) > MAX_DIGITS:
            return False
        k = 1
        while 1 + k < len(groups) and obis_of(groups[1 + k][0]):
            k += 1
        n = int(groups[0][0])
        if n > MAX_GROUPS or len(groups) != 1 + k + n * (k + 1):
            return False
        self.readings.append(self.value(obis, groups[0], 'number'))
        for e in range(n):
            entry = groups[1 + k + e * (k + 1):1 + k + (e + 1) * (k + 1)]
            captured = self.capture(entry[0], None)
            for j in range(1, k + 1):
                t = self.stamp(entry[j])
                if t is not None:
                    captured = t[1]
                    continue
                r = self.number_or_text(obis_of(groups[j][0]), entry[j], 'number')
                if captured:
                    r['capture_time'] = captured
                self.readings.append(r)
        return True

    def capture(self, group, captured):
        t = self.stamp(group)
        return captured if t is None else t[1]

    def gas_dsmr22(self, obis, groups):
        cde = obis.split(':')[1].split('.')
        if cde[0] != '24' or cde[1] != '3' or len(groups) != 7:
            return False
        ref = obis_of(groups[4][0])
        n = number(groups[6][0], groups[5][0])
        if not ref or not n:
            return False
        r = {'obis': ref, 'value': json_number(n[0]), 'unit': n[1], '_kind': 'number'}
        t = self.stamp(groups[0], flag_optional=True)
        if t and t[0] == 'ok':
            r['capture_time'] = t[1]
        self.readings.append(r)
        return True

    def plain(self, obis, groups):
        values = [i for i, g in enumerate(groups) if timestamp(g[0]) is None]
        last_value = values[-1] if values else None
        captured = None
        for i, g in enumerate(groups):
            if last_value is not None and i < last_value and timestamp(g[0]) is not None:
                captured = self.capture(g, captured)
                continue
            r = self.value(obis, g, text_kind(obis))
            if captured and r['_kind'] != 'date_time':
                r['capture_time'] = captured
            self.readings.append(r)

    def object(self, obis, groups):
        if not (self.buffer(obis, groups) or self.gas_dsmr22(obis, groups)):
            self.plain(obis, groups)


def split_lines(text):
    """(line without its CR LF, offset) for every line."""
    out, at = [], 0
    for raw in text.split('\n'):
        out.append((raw[:-1] if raw.endswith('\r') else raw, at))
        at += len(raw) + 1
    return out


def groups_of(line, at):
    """[(content, offset of its '(')] when the line is only groups, else None."""
    out, pos = [], 0
    while pos < len(line):
        m = GROUP_RE.match(line, pos)
        if not m or not all(0x20 <= ord(c) <= 0x7E for c in m.group(1)):
            return None
        out.append((m.group(1), at + pos))
        pos = m.end()
    return out if out and len(out) <= MAX_GROUPS else None


def read_telegram(text, base):
    """(expected telegram without security, problems) of one telegram's text."""
    lines = split_lines(text)
    rd = Reader(base)
    i = 1
    while i < len(lines) and not lines[i][0].startswith('!'):
        line, at = lines[i]
        i += 1
        if not line:
            continue
        open_at = line.find('(')
        obis = obis_of(line[:open_at]) if open_at > 0 else None
        groups = groups_of(line[open_at:], at + open_at) if obis else None
        while groups is not None and i < len(lines) and lines[i][0].startswith('('):
            more = groups_of(lines[i][0], lines[i][1])
            i += 1
            groups = groups + more if more is not None else None
        if groups is None or len(groups) > MAX_GROUPS:
            rd.problems.append(('p1_bad_line', base + at))
            continue
        rd.object(obis, groups)
    return rd.readings, rd.problems, lines[0][0][1:]


def header_fields(readings):
    """meter_id, list_id, timestamp: the first reading of the right kind that carries each."""
    rules = (('meter_id', ('0-0:96.1.1.255', '0-0:96.1.0.255'), 'text'),
             ('list_id', ('1-3:0.2.8.255', '0-0:96.1.4.255'), 'text'),
             ('timestamp', ('0-0:1.0.0.255',), 'date_time'))
    out = {}
    for r in readings:
        for field, codes, kind in rules:
            if field not in out and r['obis'] in codes and r['_kind'] == kind:
                out[field] = r['value']
    return out


def expected(text, base, check, security='plain', sec=None):
    """The expected telegram of one telegram's text, and its problems as expected errors."""
    readings, problems, meter_type = read_telegram(text, base)
    t = {'meter_type': meter_type}
    t.update(header_fields(readings))
    t['security'] = security
    if sec:
        t['system_title'], t['invocation_counter'] = sec
    t['check'] = check
    t['readings_complete'] = True
    t['readings'] = [{k: v for k, v in r.items() if k != '_kind'} for r in readings]
    errors = [{'layer': 'p1', 'code': c, 'offset': o} for c, o in problems]
    return t, errors


# --------------------------------------------------------------------------------------------
# Streams -> expected telegrams and errors


def end_line(text):
    """How the telegram text at text[0] ends: ('complete', length, check, crc_error_offset) or
    ('bad', code, offset). crc_error_offset: where the CRC starts when it does not match."""
    bang = text.find('!')
    slash = text.find('/', 1)
    if bang < 0 or 0 <= slash < bang:
        return 'bad', 'p1_truncated', (slash if slash >= 0 else len(text))
    after = text[bang + 1:]
    if after[:1] in ('\r', '\n'):
        return 'complete', bang + 1 + (2 if after.startswith('\r\n') else 1), 'none', None
    digits = after[:4]
    if len(digits) < 4 or not re.fullmatch(r'[0-9A-Fa-f]{4}', digits):
        bad = next((i for i, c in enumerate(digits) if c not in '0123456789abcdefABCDEF'), None)
        return ('bad', 'p1_bad_crc', bang + 1 + bad) if bad is not None else \
            ('bad', 'p1_truncated', len(text))
    length = bang + 5 + (2 if after[4:6] == '\r\n' else 0)
    ok = int(digits, 16) == crc16_arc(text[:bang + 1].encode('latin-1'))
    return 'complete', length, 'crc16', None if ok else bang + 1


def text_stream(parts):
    """Expected telegrams and errors of a stream of telegram texts and garbage, in order.
    parts: ('telegram', text) or ('garbage', bytes-as-latin-1 text)."""
    telegrams, errors, at = [], [], 0
    for kind, text in parts:
        if kind == 'garbage':
            errors.append({'layer': 'p1', 'code': 'p1_garbage', 'frame_offset': at})
        else:
            e = end_line(text)
            if e[0] == 'bad':
                errors.append({'layer': 'p1', 'code': e[1], 'frame_offset': at})
            elif e[3] is not None:
                errors.append({'layer': 'p1', 'code': 'p1_crc_mismatch', 'frame_offset': at})
            else:
                t, problems = expected(text[:e[1]], at, e[2])
                telegrams.append(t)
                errors += problems
            if e[0] == 'complete' and e[1] < len(text):  # what follows the end is no telegram
                errors.append({'layer': 'p1', 'code': 'p1_garbage', 'frame_offset': at + e[1]})
        at += len(text)
    return telegrams, errors


def ciphered_expect(plaintext, ak, sec):
    """Expected telegrams, errors and warnings of one encrypted frame with a right key."""
    e = end_line(plaintext)
    if e[0] == 'bad':
        return [], [{'layer': 'p1', 'code': e[1], 'offset': e[2]}], []
    warnings = []
    if e[3] is not None:
        w = {'layer': 'p1', 'code': 'p1_crc_mismatch', 'offset': e[3]}
        if not ak:
            return [], [w], []
        warnings.append(w)
    state = 'authenticated' if ak else 'decrypted_unverified'
    t, problems = expected(plaintext[:e[1]], 0, 'gcm_tag' if ak else e[2], state, sec)
    return [t], problems, warnings


# --------------------------------------------------------------------------------------------
# The vectors

NOTE_UNITS = ('values in base units, exact decimals: kWh -> Wh, kW -> W, kvar(h) -> var(h); '
              'timestamps YYMMDDhhmmssX with S = +02:00, W = +01:00 (CET/CEST); hex-coded '
              'identifiers and messages as text; capture_time: the time of a value that has one')
NOTE_GLUE = ('the engine test (engine/p1/p1_vectors_test.cpp) also runs every p1 vector byte at a '
             'time, in odd chunks, and glued with garbage and an HDLC frame between copies')


def vector(name, description, source, data, serial, keys, telegrams, errors, truth, notes,
           warnings=()):
    expect = {'telegrams': telegrams, 'errors': errors}
    if warnings:
        expect['warnings'] = list(warnings)
    return {'name': name, 'category': 'p1', 'description': description, 'source': source,
            'transport': 'p1', 'input_hex': data.hex(), 'serial': serial, 'keys': keys,
            'expect': expect, 'truth': truth, 'notes': list(notes) + [NOTE_UNITS]}


def keys_of(ek, ak):
    return [{'system_title': None, 'ek': ek, 'ak': ak}] if ek else []


def text_of(d):
    return d['text'] if 'hex' not in d else bytes.fromhex(
        d['verification']['plaintext_hex']).decode('latin-1')


def import_plain(d, serial_of):
    telegrams, errors = text_stream([('telegram', d['text'])])
    stated = d['expected'].get('source_stated') or {}
    truth = 'source_stated' if stated.get('amsreader_golden', {}).get('decoded') else 'derived'
    notes = list(d.get('quirks', []))
    if not telegrams:
        notes.append('rejected as a whole: %s' % ', '.join(e['code'] for e in errors))
    return vector(d['name'], '%s, %s' % (d['meter'], d['operator_or_list']), d['source'],
                  d['text'].encode('latin-1'), serial_of(d.get('serial')), [], telegrams, errors,
                  truth, notes)


def import_ciphered(d, serial_of, name=None, ak=True, change=None):
    sh = d['verification']['security_header']
    sec = (sh['system_title'], int(sh['invocation_counter'], 16))
    use_ak = d['auth_key_hex'] if ak else None
    telegrams, errors, warnings = ciphered_expect(text_of(d), use_ak, sec)
    notes = list(d.get('quirks', [])) + ([change] if change else [])
    notes.append('offsets of p1 errors and warnings are in the decrypted plaintext')
    source = d['source'] if not change else {'derived_from': d['name'], 'change': change}
    return vector(name or d['name'], '%s, %s' % (d['meter'], d['operator_or_list']), source,
                  bytes.fromhex(d['hex']), serial_of(d.get('serial')),
                  keys_of(d['key_hex'], use_ak), telegrams, errors, 'derived', notes, warnings)


def constructed(name, description, base, change, parts, notes=()):
    telegrams, errors = text_stream(parts)
    data = ''.join(p[1] for p in parts).encode('latin-1')
    return vector(name, description, {'derived_from': base, 'change': change}, data, None, [],
                  telegrams, errors, 'derived', list(notes) + [NOTE_GLUE])


DSMR22 = ('/ISk5\\2ME382-1004\r\n\r\n0-0:96.1.1(4B414C37303035313039333435373334)\r\n'
          '1-0:1.8.1(00185.000*kWh)\r\n1-0:1.8.2(00084.000*kWh)\r\n1-0:2.8.1(00013.000*kWh)\r\n'
          '1-0:2.8.2(00019.000*kWh)\r\n0-0:96.14.0(0001)\r\n1-0:1.7.0(0000.98*kW)\r\n'
          '1-0:2.7.0(0000.00*kW)\r\n0-0:17.0.0(999*A)\r\n0-0:96.3.10(1)\r\n0-0:96.13.1()\r\n'
          '0-0:96.13.0()\r\n0-1:24.1.0(3)\r\n0-1:96.1.0(3238303131303031333033323335333334)\r\n'
          '0-1:24.3.0(121030140000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(00001.001)\r\n0-1:24.4.0(1)\r\n')
FLUVIUS = ('/FLU5\\253769484_A\r\n\r\n0-0:96.1.4(50217)\r\n'
           '0-0:96.1.1(3153414131323334353637383930313233)\r\n0-0:1.0.0(200512135409S)\r\n'
           '1-0:1.8.1(000000.034*kWh)\r\n1-0:1.8.2(000015.758*kWh)\r\n1-0:2.8.1(000000.000*kWh)\r\n'
           '1-0:2.8.2(000000.011*kWh)\r\n0-0:96.14.0(0001)\r\n1-0:1.4.0(02.351*kW)\r\n'
           '1-0:1.6.0(200509134558S)(02.589*kW)\r\n'
           '0-0:98.1.0(3)(1-0:1.6.0)(1-0:1.6.0)(200501000000S)(200423192538S)(03.695*kW)'
           '(200401000000S)(200305122139W)(05.980*kW)(200301000000W)(200210035421W)(04.318*kW)\r\n'
           '1-0:1.7.0(00.000*kW)\r\n1-0:2.7.0(00.000*kW)\r\n1-0:32.7.0(234.7*V)\r\n'
           '1-0:31.7.0(000.00*A)\r\n0-0:96.3.10(1)\r\n0-0:17.0.0(999.9*kW)\r\n1-0:31.4.0(999*A)\r\n'
           '0-0:96.13.0()\r\n0-1:24.1.0(003)\r\n0-1:96.1.1(37464C4F32313139303137303034313031)\r\n'
           '0-1:24.4.0(1)\r\n0-1:24.2.3(200512134558S)(00112.384*m3)\r\n0-2:24.1.0(007)\r\n'
           '0-2:96.1.1(3853414731323334353637383930313233)\r\n0-2:24.2.1(200512134558S)(00872.234*m3)\r\n')
POWER_FAILURES = ('/XMX5LGBBFFB231215493\r\n\r\n1-3:0.2.8(50)\r\n0-0:1.0.0(201208152415W)\r\n'
                  '0-0:96.7.21(00004)\r\n0-0:96.7.9(00002)\r\n'
                  '1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)'
                  '(0000000301*s)\r\n')
GARBAGE = 'noise \x00\xff\x7e\r\n'


def body_of(text):
    """The telegram text without its '!' line."""
    return text[:text.rindex('!')]


def constructed_text(up, hdlc_frame):
    """The constructed vectors built from the text of the upstream ones and documents."""
    v42, v5 = up['dsmr42-kaifa-nl']['text'], up['dsmr5-iskra-am550-nl']['text']
    flipped = v42.replace('001581.123', '001581.122')
    month13 = close(body_of(v42).replace('0-0:1.0.0(161113205757W)', '0-0:1.0.0(161313205757W)'))
    bad_line = close(body_of(v5).replace('1-0:1.8.2(', '1-0:99.99.9 broken\r\n1-0:1.8.2(', 1))
    nonhex = v42.replace('!6796', '!67G6')
    return [
        constructed('p1-crc-bitflip', 'DSMR 4.2 with one bit of a value flipped, then DSMR 5',
                    'dsmr42-kaifa-nl', "'001581.123' -> '001581.122', CRC kept",
                    [('telegram', flipped), ('telegram', v5)]),
        constructed('p1-truncated', 'DSMR 5 cut before its end, then DSMR 4.2',
                    'dsmr5-iskra-am550-nl', 'first 400 characters only',
                    [('telegram', v5[:400]), ('telegram', v42)]),
        constructed('p1-truncated-at-end', 'DSMR 4.2 whose input ends inside the CRC',
                    'dsmr42-kaifa-nl', 'last 4 characters cut', [('telegram', v42[:-4])]),
        constructed('p1-non-hex-crc', 'DSMR 4.2 with a CRC of non-hex characters, then DSMR 5',
                    'dsmr42-kaifa-nl', "'!6796' -> '!67G6'",
                    [('telegram', nonhex), ('telegram', v5)]),
        constructed('p1-month-13', 'DSMR 4.2 with the clock in month 13 (CRC recomputed)',
                    'dsmr42-kaifa-nl', "0-0:1.0.0 '161113205757W' -> '161313205757W'",
                    [('telegram', month13)]),
        constructed('p1-bad-line', 'DSMR 5 with a line that is not OBIS(value) (CRC recomputed)',
                    'dsmr5-iskra-am550-nl', "line '1-0:99.99.9 broken' inserted",
                    [('telegram', bad_line)]),
        constructed('p1-garbage-between', 'garbage, DSMR 4.2, an HDLC frame, DSMR 5',
                    'dsmr42-kaifa-nl', 'glued with garbage and the HDLC frame of '
                    'kaifa-kfm001-ma304h3e-list1', [('garbage', GARBAGE), ('telegram', v42),
                                                    ('garbage', hdlc_frame), ('telegram', v5)]),
        constructed('p1-dsmr22-gas', 'DSMR 2.2 (no CRC), gas over two lines',
                    'DSMR 2.2 P1 (dsmr_parser TELEGRAM_V2_2 layout)', 'written from the layout',
                    [('telegram', close(DSMR22, with_crc=False))]),
        constructed('p1-belgian-peak', 'Fluvius (BE) DSMR 5 with peak demand, monthly maxima, '
                    'gas and water', 'Fluvius P1 1.7.1 (e-MUCS) layout', 'written from the layout',
                    [('telegram', close(FLUVIUS))]),
        constructed('p1-power-failure-log', 'DSMR 5 with a power-failure log of two events',
                    'DSMR 5.0.2 P1 companion standard, 1-0:99.97.0', 'written from the standard',
                    [('telegram', close(POWER_FAILURES))]),
    ]


def constructed_ciphered(smarty, serial_of):
    """Encrypted vectors from the Smarty frame: without its AK, a forged tag, a wrong key, an SC
    that lost its authentication bit, a cut frame before a whole one."""
    forged = dict(smarty, hex=smarty['hex'][:-2] + '%02x' % (int(smarty['hex'][-2:], 16) ^ 1))
    wrong = dict(smarty, key_hex='%02x' % (int(smarty['key_hex'][:2], 16) ^ 0xFF) +
                 smarty['key_hex'][2:], auth_key_hex=None)
    out = [import_ciphered(smarty, serial_of, 'p1-smarty-no-ak', ak=False,
                           change='AK left out: decrypted_unverified, so the inner CRC mismatch '
                                  'is an error')]
    for name, d, change, code in (
            ('p1-smarty-forged-tag', forged, 'last tag byte flipped', 'security_auth_failed'),
            ('p1-smarty-wrong-key', wrong, 'first EK byte flipped, no AK', 'security_wrong_key'),
            ('p1-smarty-sc-downgraded', downgraded(smarty),
             'SC 0x30 -> 0x20 (one bit): no tag asked although the AK is known',
             'security_downgraded')):
        v = import_ciphered(d, serial_of, name, ak=True, change=change)
        v['expect'] = {'telegrams': [], 'errors': [{'layer': 'security', 'code': code}]}
        out.append(v)
    return out + [cut_then_whole(smarty, serial_of)]


def sc_offset(frame):
    """Where the SC byte of a bare DB 08 <title> <BER length> frame is."""
    first = frame[10]
    return 11 + (first & 0x7F if first & 0x80 else 0)


def downgraded(smarty):
    """The Smarty frame with the SC's authentication bit flipped off (0x30 -> 0x20)."""
    frame = bytearray.fromhex(smarty['hex'])
    frame[sc_offset(frame)] ^= 0x10
    return dict(smarty, hex=frame.hex())


def cut_then_whole(smarty, serial_of):
    """The Smarty frame cut 20 bytes short, then whole: the cut one must not swallow the next."""
    frame = bytes.fromhex(smarty['hex'])
    v = import_ciphered(dict(smarty, hex=(frame[:-20] + frame).hex()), serial_of,
                        'p1-smarty-cut-then-whole', ak=True,
                        change='the frame cut 20 bytes short, then the whole frame')
    v['expect']['errors'].insert(0, {'layer': 'p1', 'code': 'p1_truncated', 'frame_offset': 0})
    v['notes'].append('the cut frame is p1_truncated at offset %d, where the whole one starts'
                      % (len(frame) - 20))
    return v


def readings_by_obis(v):
    out = {}
    for r in v['expect']['telegrams'][0]['readings'] if v['expect']['telegrams'] else []:
        out.setdefault(r['obis'], []).append(r['value'])
    return out


def cross_check(v, d):
    """The written expectations against what the source states or derived."""
    got = readings_by_obis(v)
    if not got:
        return
    for entry in d['expected'].get('derived', []):
        if not isinstance(entry, dict) or 'values' not in entry:
            continue
        # A buffer's values are readings of the OBIS codes it names (1-0:99.97.0 -> 0-0:96.7.19).
        refs = [obis_of(x['value']) for x in entry['values'] if obis_of(x['value'])]
        candidates = sum((got.get(o, []) for o in [obis_of(entry['obis'])] + refs), [])
        for value in entry['values']:
            n = number(value['value'], value['unit']) if 'unit' in value else None
            if n:
                assert json_number(n[0]) in candidates, (v['name'], entry)
    golden = (d['expected'].get('source_stated') or {}).get('amsreader_golden', {})
    if golden.get('decoded'):
        assert got['1-0:1.7.0.255'] == [golden['activeImport_W']], v['name']
        assert got['1-0:32.7.0.255'] == [golden['l1v']] and got['1-0:51.7.0.255'] == [golden['l2a']]
        assert got['1-0:1.8.0.255'] == [json_number(Decimal(str(golden['importCounter_kWh'])) * 1000)]
        assert v['expect']['telegrams'][0]['meter_id'] == golden['meterId'], v['name']


def check(v):
    """The p1 vector format (vectors/README.md)."""
    assert v['transport'] == 'p1' and v['category'] == 'p1'
    assert re.fullmatch(r'[0-9a-f]+', v['input_hex'])
    for t in v['expect']['telegrams']:
        assert t['check'] in ('crc16', 'gcm_tag', 'none')
        assert t['security'] in ('plain', 'authenticated', 'decrypted_unverified')
        for r in t['readings']:
            assert re.fullmatch(r'\d+-\d+:\d+\.\d+\.\d+\.255', r['obis']), r
            assert r['value'] is None or isinstance(r['value'], (int, float, str)), r
            assert r.get('unit', 'W') in BASE_UNITS, r
    for e in v['expect']['errors'] + v['expect'].get('warnings', []):
        assert e['code'].startswith(e['layer'] + '_'), e


def build(shared, serial_of, hdlc_frame):
    """Every p1 vector (the upstream DSMR ones, then the constructed ones) and their families."""
    import json
    import os
    up, out = {}, []
    folder = os.path.join(shared, 'dsmr')
    for fn in sorted(os.listdir(folder)):
        if fn.endswith('.json'):
            d = json.load(open(os.path.join(folder, fn), encoding='utf-8'))
            up[d['name']] = d
            v = import_ciphered(d, serial_of) if 'hex' in d else import_plain(d, serial_of)
            cross_check(v, d)
            out.append(v)
    out += constructed_text(up, hdlc_frame)
    out += constructed_ciphered(up['smarty-lu-sagemcom-encrypted-openhab'], serial_of)
    families = {}
    for v in out:
        check(v)
        base = up.get(v['name']) or up.get(v['source'].get('derived_from', ''))
        families[v['name']] = base['family'] if base else 'DSMR / P1 (constructed)'
    return out, families
