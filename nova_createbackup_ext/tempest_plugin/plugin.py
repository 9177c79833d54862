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

"""The entry point that tempest loads from ``tempest.test_plugins``."""

import os

from tempest.test_discover import plugins

from nova_createbackup_ext.tempest_plugin import config as plugin_config


class CreateBackupTempestPlugin(plugins.TempestPlugin):
    """Tests of the createBackup server action served by the extension."""

    def load_tests(self):
        here = os.path.dirname(os.path.abspath(__file__))
        # Test ids are module paths from the directory that holds the
        # package, as for any installed package.
        top_level = os.path.dirname(os.path.dirname(here))
        return os.path.join(here, 'tests'), top_level

    def register_opts(self, conf):
        conf.register_opt(plugin_config.SERVICE_OPTION,
                          group='service_available')
        conf.register_group(plugin_config.create_backup_group)
        conf.register_opts(plugin_config.CreateBackupGroup,
                           group=plugin_config.create_backup_group)

    def get_opt_lists(self):
        return [
            ('service_available', [plugin_config.SERVICE_OPTION]),
            *plugin_config.list_opts(),
        ]
