#!/usr/bin/env python3
"""The dependency rule of docs/architecture.md: a folder's sources include only the
folders it may depend on. Fails naming the file, the line and the forbidden include."""
import os, re, sys

ALLOWED = {
    'contract': set(),
    'description': set(),
    'maths': {'contract', 'description'},
    'models': {'contract', 'description', 'maths'},
    'firmware': {'contract', 'description'},
    'compiler': {'contract', 'description', 'firmware'},
    'platform': {'contract', 'description', 'maths', 'models', 'firmware', 'compiler'},
    'tools': {'contract'},
    'examples': {'contract', 'description', 'maths', 'models', 'firmware', 'compiler'},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]epochcore/([a-z_]+)/')

root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
bad, checked = [], 0
for layer, allowed in ALLOWED.items():
    for dirpath, _, files in os.walk(os.path.join(root, layer)):
        for f in files:
            if not f.endswith(('.h', '.hpp', '.c', '.cpp')):
                continue
            path = os.path.join(dirpath, f)
            checked += 1
            with open(path, encoding='utf-8') as src:
                for n, line in enumerate(src, 1):
                    m = INCLUDE.match(line)
                    if m and m.group(1) != layer and m.group(1) not in allowed:
                        bad.append(f'{os.path.relpath(path, root)}:{n}: {layer}/ may not include '
                                   f'{m.group(1)}/ (allowed: {", ".join(sorted(allowed)) or "nothing"})')
            # A project header must be included with its prefix, never by a bare folder path.
            with open(path, encoding='utf-8') as src:
                for n, line in enumerate(src, 1):
                    if re.match(r'^\s*#\s*include\s*"(contract|description|maths|models|firmware|compiler|platform)/', line):
                        bad.append(f'{os.path.relpath(path, root)}:{n}: include without the epochcore/ prefix')
print('\n'.join(bad))
print(f'{checked} files checked, {len(bad)} violations')
sys.exit(1 if bad or checked == 0 else 0)
