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

"""Tempest options of the createBackup tests.

In tempest.conf: ``[service_available] nova_createbackup_ext`` switches
the tests on, and ``[nova_createbackup_ext]`` holds what they need to
know about the cloud.
"""

from oslo_config import cfg

SERVICE_OPTION = cfg.BoolOpt(
    'nova_createbackup_ext',
    default=False,
    help='Whether the cloud\'s nova-api serves the createBackup server '
         'action from nova-createbackup-ext. The tests of this plugin '
         'run only when this is true, since they assert answers that '
         'Nova\'s in-tree createBackup does not give.')

GROUP_NAME = 'nova_createbackup_ext'

create_backup_group = cfg.OptGroup(
    GROUP_NAME,
    title='nova-createbackup-ext test options',
    help='What the createBackup tests need to know about the cloud under '
         'test.')

CreateBackupGroup = [
    cfg.StrOpt(
        'backup_type',
        default='daily',
        help='The backup type of the backups that the tests create. It '
             'must be accepted by the cloud, that is listed in nova.conf '
             '[create_backup] allowed_backup_types when that option is '
             'set.'),
    cfg.StrOpt(
        'backup_type_alt',
        default='weekly',
        help='A second accepted backup type, different from '
             'backup_type, for the test that rotation leaves backups of '
             'other types alone.'),
]


def list_opts():
    """Return the options of the plugin's own group, by group name."""
    return [(create_backup_group.name, CreateBackupGroup)]
