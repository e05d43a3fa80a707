#!/usr/bin/env python3
"""Prints `meterlab decode` JSON lines (stdin) as a short table per telegram or error: the demo's view."""
import json
import sys

for line in sys.stdin:
    d = json.loads(line)
    if 'error' in d:
        e = d['error']
        print('  rejected: %s %s at offset %s (%s)' % (e['layer'], e['code'], e['offset'], e['message']))
        continue
    f = d['frame']
    print('  meter %s  type %s  list %s  layout %s' % (d['meter_id'], d['meter_type'], d['list_id'],
                                                     d['layout']))
    print('  clock %s  security %s  frame %s @%d, %d bytes, %d segment(s)' % (
        d['timestamp'], d['security'], f['transport'], f['offset'], f['length'], f['segments']))
    for r in d['readings']:
        print('    %-18s %-26s %s %s' % (r['obis'], r['name'], r['value'], r['unit']))
