#!/usr/bin/env python3
"""bench/glass_sizes.py DB [x] - where the bytes of a glass database go (bench/README.md).

Walks each table's B-tree from its root (the root and block size as xapian-check
prints them) and accounts for the file: blocks reachable from the root (leaf and
branch), blocks no longer reachable (free: old copies left by copy-on-write), the
unused tail of live leaf blocks, and the leaf items' bytes split into item overhead
(2 bytes of length, 1 of key length, 2 of directory entry, 2 more for a tag's later
components), keys and tags, per kind of key (postlist: terms by prefix, value
streams by slot, document lengths, metadata). With a second argument, also how many
blocks the last revision wrote, by the first key of each (what an update copied).
Layout: Xapian 1.4's glass_table.h. Reads only; needs xapian-tools."""
import sys, os, subprocess, re, collections
db = sys.argv[1]
out = subprocess.run(['xapian-check', db], capture_output=True, text=True).stdout
cur = None; roots = {}
for line in out.splitlines():
    m = re.match(r'^(\w+):$', line)
    if m: cur = m.group(1)
    m = re.search(r'blocksize=(\d+)K .* root=(\d+)', line)
    if m and cur: roots[cur] = (int(m.group(1))*1024, int(m.group(2)))
def g2(b, o): return (b[o] << 8) | b[o+1]
def g4(b, o): return (b[o]<<24)|(b[o+1]<<16)|(b[o+2]<<8)|b[o+3]
def classify(table, key):
    if table == 'postlist':
        if key[:1] == b'\0':
            k = key[1:2]
            return {b'\xc0':'metadata', b'\xd0':'valuestats', b'\xd8':'values', b'\xe0':'doclen'}.get(k, 'special?') + ('' if k != b'\xd8' else '[%d]' % key[2])
        t = key.split(b'\0')[0]
        i = 0
        while i < len(t) and 65 <= t[i] <= 90: i += 1
        return 'term:' + (t[:i].decode() or 'word')
    if table == 'position':
        # key: pack_string_preserving_sort(term) + docid, or docid + term
        return 'pos'
    if table == 'termlist':
        return 'termlist' if len(key) and key[-1:] != b'\0' else 'slots used'
    return table
tot = collections.Counter()
for table, (bs, root) in roots.items():
    path = os.path.join(db, table + '.glass')
    data = open(path, 'rb').read()
    nblocks = len(data) // bs
    live = set(); stack = [root]
    cls = collections.defaultdict(lambda: [0, 0, 0, 0])  # items, overhead, key, tag
    leaf_unused = 0; branch_bytes = 0; newblk = collections.Counter(); maxrev = max(g4(data, i*bs) for i in range(nblocks) if data[i*bs+4] != 254)
    while stack:
        n = stack.pop(); live.add(n)
        b = data[n*bs:(n+1)*bs]
        level = b[4]; dir_end = g2(b, 9)
        used = 0; firstcls = None
        for d in range(11, dir_end, 2):
            off = g2(b, d)
            if level > 0:
                klen = b[off+4]
                used += 4 + 1 + klen + 2 + 2
                stack.append(g4(b, off))
            else:
                I = g2(b, off); isz = (I & 0x1fff) + 3; first = I & 0x2000
                klen = b[off+2]
                key = bytes(b[off+3:off+3+klen])
                used += isz + 2
                cn = classify(table, key); c = cls[cn]
                if firstcls is None: firstcls = cn
                ov = 2 + 1 + 2 + (0 if first else 2)
                c[0] += 1; c[1] += ov; c[2] += klen; c[3] += isz + 2 - ov - klen
        if g4(b, 0) == maxrev: newblk[firstcls if level == 0 else 'branch'] += 1
        if level > 0: branch_bytes += bs
        else: leaf_unused += bs - 11 - used
    free = (nblocks - len(live)) * bs
    M = 1048576
    print(f'== {table}: file {len(data)/M:.2f} MiB, {nblocks} blocks, live {len(live)}, free {free/M:.2f} MiB, branch {branch_bytes/M:.2f}, leaf unused {leaf_unused/M:.2f}')
    if len(sys.argv) > 2: print('   blocks of the last revision by first key:', dict(newblk))
    for k, (n, o, kk, t) in sorted(cls.items(), key=lambda x: -(x[1][1]+x[1][2]+x[1][3])):
        print(f'   {k:16s} items {n:8d}  overhead {o/M:7.2f}  keys {kk/M:7.2f}  tags {t/M:7.2f}  sum {(o+kk+t)/M:7.2f} MiB')
