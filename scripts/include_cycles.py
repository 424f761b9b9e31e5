#!/usr/bin/env python3
"""Folder include graph of src/ and include/bosh_libvirt_cpi/: prints every cycle between
folders (a folder includes another that, directly or not, includes it) with the files that make
each edge, and exits 1 when there is one. Usage: scripts/include_cycles.py [REPO]."""
import os, re, sys, itertools
root = sys.argv[1] if len(sys.argv) > 1 else '.'
inc = re.compile(r'#\s*include\s+"bosh_libvirt_cpi/([a-z_]+)/')
edges = {}
# src/ is grouped by binary (src/core/, src/hypervisor/, src/media/{iso,archive}/), each holding
# the layer folders of include/bosh_libvirt_cpi/; a file's folder is its layer, not its binary.
BINARIES = {('src', 'core'): None, ('src', 'hypervisor'): None,
            ('src', 'media', 'iso'): 'media', ('src', 'media', 'archive'): 'media'}
def folder_of(path):
    rel = os.path.relpath(path, root)
    parts = rel.split(os.sep)
    if parts[0] == 'include':
        return parts[2] if len(parts) > 3 else None
    for prefix, layer in BINARIES.items():
        if tuple(parts[:len(prefix)]) == prefix:
            rest = parts[len(prefix):]
            return layer or (rest[0] if len(rest) > 1 else None)
    return None
for top in ('src', 'include'):
    for d, _, files in os.walk(os.path.join(root, top)):
        for f in files:
            if not f.endswith(('.h', '.cc')): continue
            p = os.path.join(d, f); a = folder_of(p)
            if a is None: continue
            for m in inc.finditer(open(p, encoding='utf-8', errors='replace').read()):
                b = m.group(1)
                if b != a: edges.setdefault(a, {}).setdefault(b, set()).add(os.path.relpath(p, root))
# strongly connected components (Tarjan)
index = {}; low = {}; stack = []; on = set(); sccs = []; counter = [0]
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, {}):
        if w not in index: strong(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        sccs.append(comp)
sys.setrecursionlimit(10000)
for v in list(edges): 
    if v not in index: strong(v)
bad = [sorted(c) for c in sccs if len(c) > 1]
for c in bad:
    print('cycle between folders:', ' '.join(c))
    for a in c:
        for b in c:
            if b in edges.get(a, {}):
                print(f'  {a} -> {b}: ' + ', '.join(sorted(edges[a][b])))
sys.exit(1 if bad else 0)
