#!/usr/bin/env python3
"""Prints `meterlab decode` JSON lines (stdin) for people: a short table per telegram or error, or
with --brief LABEL one line per telegram (the live demo's view of several meters at once)."""
import json
import sys

SHORT = {'1.7.0': 'P+', '2.7.0': 'P-', '32.7.0': 'U1', '52.7.0': 'U2', '72.7.0': 'U3',
         '31.7.0': 'I1', '51.7.0': 'I2', '71.7.0': 'I3', '1.8.0': 'A+', '2.8.0': 'A-'}


def brief(label, d):
    f = d['frame']
    parts = []
    for r in d['readings']:
        if r['obis'] is None:  # a reading no layout names (issue 16): not in the brief line
            continue
        key = r['obis'].split(':')[1].rsplit('.', 1)[0]
        if key in SHORT:
            parts.append('%s=%s%s' % (SHORT[key], r['value'], r['unit']))
    print('[%s] %s  %-22s %s' % (label, d['timestamp'] or '-', '%s %s %dB' % (
        d['security'], f['transport'], f['length']), ' '.join(parts)), flush=True)


def table(d):
    f = d['frame']
    print('  meter %s  type %s  list %s  layout %s' % (d['meter_id'], d['meter_type'], d['list_id'],
                                                     d['layout']))
    print('  clock %s  security %s  frame %s @%d, %d bytes, %d segment(s)' % (
        d['timestamp'], d['security'], f['transport'], f['offset'], f['length'], f['segments']))
    for r in d['readings']:
        code = r['obis'] if r['obis'] is not None else 'position ' + r['position']
        print('    %-18s %-26s %s %s' % (code, r['name'], r['value'], r['unit']))


def main():
    label = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == '--brief' else None
    for line in sys.stdin:
        d = json.loads(line)
        if 'error' in d:
            e = d['error']
            where = '[%s] ' % label if label else '  '
            print('%srejected: %s %s at offset %s (%s)' % (where, e['layer'], e['code'], e['offset'],
                                                          e['message']), flush=True)
        elif label:
            brief(label, d)
        else:
            table(d)


main()
