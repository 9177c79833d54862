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

"""The DevStack plugin's phases, run by bash against files of our own.

DevStack itself cannot run here, so its functions that the plugin calls
are stood in for by ones that record their arguments; iniset is the
shared library's own. The plugin's configure steps are those of
tools/stack.sh, so the deployment proves them against a live Nova; this
proves the plugin calls them in the right phases, and undoes them.
Needs no deployment.
"""

import configparser
import os
import shutil
import subprocess
import sys
import tempfile

import testtools

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
OURS = 'nova_createbackup_ext.api.router:APIRouterV21.factory'
NOVAS = 'nova.api.openstack.compute:APIRouterV21.factory'

# Stand-ins for the DevStack functions the plugin calls: each records
# its call in $CALLS.
HARNESS = r'''
set -eu
function define_plugin { :; }
function plugin_requires { :; }
function echo_summary { :; }
function is_service_enabled { [[ " $ENABLED " == *" $1 "* ]]; }
function trueorfalse {
    local default=$1 name=$2
    local value=${!name:-$default}
    [[ "$value" =~ ^(True|true|yes|1)$ ]] && echo True || echo False
}
function setup_develop { echo "setup_develop $*" >>"$CALLS"; }
function pip_uninstall { echo "pip_uninstall $*" >>"$CALLS"; }
source "$TOP/devstack/settings"
source "$TOP/devstack/plugin.sh" "$1" "${2:-}"
'''

NOVA_PASTE = '''\
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/v2.1: openstack_compute_api_v21

# The compute API's router.
[app:osapi_compute_app_v21]
paste.app_factory = %s

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
''' % NOVAS


class DevstackPluginTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if shutil.which('bash') is None:
            self.skipTest('no bash')
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.paste = os.path.join(self.dir, 'api-paste.ini')
        with open(self.paste, 'w') as f:
            f.write(NOVA_PASTE)
        self.nova_conf = os.path.join(self.dir, 'nova.conf')
        with open(self.nova_conf, 'w') as f:
            f.write('[DEFAULT]\ndebug = True\n')
        self.tempest_conf = os.path.join(self.dir, 'tempest.conf')
        with open(self.tempest_conf, 'w') as f:
            f.write('[compute]\nimage_ref = x\n')
        self.calls = os.path.join(self.dir, 'calls')
        self.env = dict(
            os.environ, TOP=TOP, CALLS=self.calls, DEST=self.dir,
            ENABLED='n-api tempest', NOVA_API_PASTE_INI=self.paste,
            NOVA_CONF=self.nova_conf, TEMPEST_CONFIG=self.tempest_conf,
            PATH=os.path.dirname(sys.executable) + ':' + os.environ['PATH'])

    def phase(self, *args, **env):
        result = subprocess.run(
            ['bash', '-c', HARNESS, 'harness', *args],
            env=dict(self.env, **env), capture_output=True, text=True)
        self.assertEqual(0, result.returncode, result.stderr)

    def ini(self, path):
        parser = configparser.RawConfigParser(strict=False)
        parser.read(path)
        return parser

    def calls_made(self):
        if not os.path.exists(self.calls):
            return []
        with open(self.calls) as f:
            return f.read().splitlines()

    def test_install_sets_up_the_checkout(self):
        self.phase('stack', 'install')
        self.assertEqual(
            ['setup_develop %s/nova-createbackup-ext' % self.dir],
            self.calls_made())

    def test_post_config_sets_the_factory_and_options(self):
        self.phase('stack', 'post-config', CREATEBACKUP_MAX_ROTATION='7',
                   CREATEBACKUP_ALLOWED_BACKUP_TYPES='daily,weekly')
        paste = self.ini(self.paste)
        self.assertEqual(
            OURS, paste.get('app:osapi_compute_app_v21',
                            'paste.app_factory'))
        # The rest of the file is as it was, comments included.
        with open(self.paste) as f:
            text = f.read()
        self.assertIn('# The compute API\'s router.', text)
        self.assertEqual(NOVA_PASTE.replace(NOVAS, OURS), text)
        nova = self.ini(self.nova_conf)
        self.assertEqual('7', nova.get('create_backup', 'max_rotation'))
        self.assertEqual('daily,weekly', nova.get('create_backup',
                                                  'allowed_backup_types'))
        self.assertEqual('True', nova.get('DEFAULT', 'debug'))
        self.assertFalse(nova.has_option('create_backup',
                                         'glance_quota_precheck'))
        self.assertEqual([], self.calls_made())

    def test_test_config_switches_the_tempest_plugin_on(self):
        self.phase('stack', 'test-config')
        tempest = self.ini(self.tempest_conf)
        self.assertEqual('True', tempest.get('service_available',
                                             'nova_createbackup_ext'))
        self.assertEqual('daily', tempest.get('nova_createbackup_ext',
                                              'backup_type'))
        self.assertEqual('latest', tempest.get('compute',
                                               'max_microversion'))
        self.assertEqual('x', tempest.get('compute', 'image_ref'))

    def test_test_config_without_tempest_leaves_it_alone(self):
        self.phase('stack', 'test-config', ENABLED='n-api')
        tempest = self.ini(self.tempest_conf)
        self.assertFalse(tempest.has_section('nova_createbackup_ext'))

    def test_unstack_gives_nova_its_router_back(self):
        self.phase('stack', 'post-config')
        self.phase('unstack')
        with open(self.paste) as f:
            self.assertEqual(NOVA_PASTE, f.read())

    def test_clean_uninstalls(self):
        self.phase('stack', 'post-config')
        self.phase('clean')
        self.assertEqual(['pip_uninstall nova-createbackup-ext'],
                         self.calls_made())
        paste = self.ini(self.paste)
        self.assertEqual(
            NOVAS, paste.get('app:osapi_compute_app_v21',
                             'paste.app_factory'))

    def test_nothing_without_nova_api(self):
        self.phase('stack', 'install', ENABLED='tempest')
        self.phase('stack', 'post-config', ENABLED='tempest')
        self.assertEqual([], self.calls_made())
        with open(self.paste) as f:
            self.assertEqual(NOVA_PASTE, f.read())
