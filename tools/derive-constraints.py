#!/usr/bin/env python3
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Derive a constraints file that a given set of requirements installs with.

OpenStack's upper-constraints of a release sometimes pin a library below
the minimum that the release's own services ask for (the services are not
in the file, so the gate never checks them together). This asks pip to
resolve the requirements against the constraints, and each time pip names
a pin that contradicts a requirement's lower bound, raises that pin to the
bound. It prints every change, so the header of the result can list them.

Usage::

    tools/derive-constraints.py SOURCE OUTPUT REQUIREMENT [REQUIREMENT ...]
"""

import re
import shutil
import subprocess
import sys

_CONFLICT = re.compile(r'The conflict is caused by:(.*?)(?:\n\n|$)', re.S)
_DEPENDS = re.compile(
    r'depends on ([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?([<>=!~][^\s;]*)')
_PINNED = re.compile(r'\(constraint\) ([A-Za-z0-9_.\-]+)===(\S+)')


def _norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def _lower_bound(specs):
    for spec in specs:
        for part in spec.split(','):
            if part.startswith('>='):
                return part[2:]
    return None


def derive(output, requirements, max_rounds=40):
    for _ in range(max_rounds):
        proc = subprocess.run(
            [sys.executable, '-m', 'pip', 'install', '--dry-run', '-q',
             '-c', output] + requirements,
            capture_output=True, text=True)
        text = proc.stdout + proc.stderr
        match = _CONFLICT.search(text)
        if match is None:
            if proc.returncode:
                sys.exit('pip failed without a conflict to fix:\n' + text)
            return
        block = match.group(1)
        pinned = _PINNED.findall(block)
        if not pinned:
            sys.exit('cannot fix this conflict:\n' + block)
        name, old = pinned[0]
        new = _lower_bound(
            spec for dep, spec in _DEPENDS.findall(block)
            if _norm(dep) == _norm(name))
        if new is None:
            sys.exit('no lower bound to raise %s to:\n%s' % (name, block))
        with open(output) as f:
            lines = f.read().splitlines()
        with open(output, 'w') as f:
            for line in lines:
                if _norm(line.split('===')[0]) == _norm(name):
                    line = '%s===%s' % (line.split('===')[0], new)
                f.write(line + '\n')
        print('%s %s -> %s' % (name, old, new))
    sys.exit('gave up after %d rounds' % max_rounds)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    source, output, requirements = sys.argv[1], sys.argv[2], sys.argv[3:]
    shutil.copyfile(source, output)
    derive(output, requirements)


if __name__ == '__main__':
    main()
