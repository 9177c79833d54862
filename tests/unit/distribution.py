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


"""A fixture that installs a distribution for the duration of a test."""

import configparser
import importlib
import importlib.metadata
import os
import shutil
import sys

import fixtures
# NOTE(cbext): stevedore has no public way to start its cache afresh;
# the cache module is replaced for the fixture's lifetime only.
from stevedore import _cache as stevedore_cache
from stevedore import extension as stevedore_extension

EXTERNAL = os.path.join(os.path.dirname(__file__), 'external')


def _entry_points(group, path=None):
    # What stevedore's cache answers, looked up afresh each time; like
    # stevedore, an entry point published twice is kept once.
    found = []
    for entry_point in importlib.metadata.entry_points(group=group):
        if entry_point not in found:
            found.append(entry_point)
    return found


class Distribution(fixtures.Fixture):
    """A distribution on sys.path, found as any installed one is.

    The directory holds the modules and a ``*.dist-info`` directory with
    ``METADATA`` and ``entry_points.txt``, which ``importlib.metadata``
    discovers on ``sys.path``.

    stevedore keeps what it found twice: in the cache of its ``_cache``
    module (in memory by ``sys.path``, and on disk unless Python runs
    from /tmp), and per namespace in the class attribute
    ``ExtensionManager.ENTRY_POINT_CACHE`` for the process's lifetime.
    For the fixture's lifetime both start empty, so that neither an
    earlier scan hides the distribution nor the distribution outlives
    the fixture; by default the cache module's look-up goes straight to
    ``importlib.metadata``, since a fresh stevedore cache scans every
    group of every installed distribution (most of a second here).

    :param name: the distribution's name
    :param entry_points: ``{group: {name: value}}``
    :param modules: ``{module name: source}`` to write
    :param copy: names of modules in ``tests/unit/external`` to copy
    :param stevedore_cache: use a fresh cache of stevedore's own instead
        of the direct look-up
    """

    def __init__(self, name, entry_points, modules=None, copy=(),
                 version='0.1', stevedore_cache=False):
        super().__init__()
        self.stevedore_cache = stevedore_cache
        self.name = name
        self.version = version
        self.entry_points = entry_points
        self.modules = dict(modules or {})
        self.copy = list(copy)

    def _setUp(self):
        self.path = self.useFixture(fixtures.TempDir()).path
        for module in self.copy:
            shutil.copy(os.path.join(EXTERNAL, module + '.py'), self.path)
        for module, source in self.modules.items():
            with open(os.path.join(self.path, module + '.py'), 'w') as f:
                f.write(source)
        self._write_dist_info()

        if self.stevedore_cache:
            get_group_all = stevedore_cache.Cache(
                cache_dir=os.path.join(self.path, 'cache')).get_group_all
        else:
            get_group_all = _entry_points
        self.useFixture(fixtures.MockPatchObject(
            stevedore_cache, 'get_group_all', get_group_all))
        self.useFixture(fixtures.MockPatchObject(
            stevedore_extension.ExtensionManager, 'ENTRY_POINT_CACHE', {}))
        self.useFixture(fixtures.PythonPathEntry(self.path))
        importlib.invalidate_caches()
        self.addCleanup(self._forget_modules)

    def _write_dist_info(self):
        dist_info = os.path.join(self.path, '%s-%s.dist-info' % (
            self.name.replace('-', '_'), self.version))
        os.mkdir(dist_info)
        with open(os.path.join(dist_info, 'METADATA'), 'w') as f:
            f.write('Metadata-Version: 2.1\nName: %s\nVersion: %s\n' % (
                self.name, self.version))
        parser = configparser.ConfigParser()
        parser.optionxform = str
        parser.read_dict(self.entry_points)
        with open(os.path.join(dist_info, 'entry_points.txt'), 'w') as f:
            parser.write(f)

    def _forget_modules(self):
        for module in list(self.modules) + self.copy:
            sys.modules.pop(module, None)
