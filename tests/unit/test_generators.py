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


"""The sample generators find the package under its namespace.

The generators run as operators run them, as commands from the bin
directory of the Python that runs the tests.
"""

import os
import subprocess
import sys

import fixtures
import testtools
import yaml

from nova_createbackup_ext import conf
from nova_createbackup_ext import policies

NAMESPACE = 'nova_createbackup_ext'


def _command(name):
    return os.path.join(os.path.dirname(sys.executable), name)


class GeneratorTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.directory = self.useFixture(fixtures.TempDir()).path

    def generate(self, command, *args):
        output = os.path.join(self.directory, 'sample')
        subprocess.run(
            [_command(command), '--namespace', NAMESPACE,
             '--output-file', output] + list(args),
            check=True, capture_output=True, timeout=120)
        with open(output) as f:
            return f.read()

    def test_config_sample(self):
        sample = self.generate('oslo-config-generator')

        self.assertIn('[%s]' % conf.GROUP_NAME, sample)
        options = conf.list_opts()[0][1]
        self.assertNotEqual([], options)
        for option in options:
            self.assertRegex(sample, r'(?m)^#%s =' % option.dest)
        # The help says what each value does.
        self.assertIn('Possible values:', sample)
        self.assertIn('refuse - Refuse the backup', sample)
        # The package adds a group of its own, and nothing to nova's.
        sections = [line for line in sample.splitlines()
                    if line.startswith('[')]
        self.assertEqual(['[DEFAULT]', '[%s]' % conf.GROUP_NAME], sections)

    def test_policy_sample(self):
        sample = self.generate('oslopolicy-sample-generator')

        # Each rule is there, commented out with its default.
        rules = policies.list_rules()
        self.assertNotEqual([], rules)
        uncommented = yaml.safe_load(
            '\n'.join(line[1:] for line in sample.splitlines()
                      if line.startswith('#"')))
        self.assertEqual({rule.name: rule.check_str for rule in rules},
                         uncommented)
        # With its description, wrapped over comment lines.
        text = ' '.join(line.lstrip('#').strip()
                        for line in sample.splitlines())
        for rule in rules:
            self.assertIn(rule.description, text)
