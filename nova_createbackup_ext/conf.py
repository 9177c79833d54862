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

"""Options of the createBackup extension, in nova.conf's [create_backup].

Nova-api reads them from its own configuration files; the extension adds
nothing of its own to how nova-api is started.
"""

from oslo_config import cfg

GROUP_NAME = 'create_backup'

create_backup_group = cfg.OptGroup(
    GROUP_NAME,
    title='createBackup extension options',
    help="""
Options of the createBackup server action served by
nova-createbackup-ext. They narrow what a createBackup request may
ask for and control the check of the project's Glance quota made
before a backup is created.
""")

ALL_OPTS = [
    cfg.ListOpt(
        'allowed_backup_types',
        default=[],
        help="""
The values of ``backup_type`` that a createBackup request may use.

A request with any other type is refused with HTTP 400, and the
answer lists the accepted types. The comparison is exact and
case-sensitive.

Possible values:

* An empty list (the default): any type is accepted, as in Nova.
* A comma-separated list of types, for example ``daily,weekly``.
"""),
    cfg.IntOpt(
        'max_rotation',
        min=0,
        default=None,
        help="""
The highest ``rotation`` that a createBackup request may ask for.

A request asking for more is refused with HTTP 400, unless the
caller is allowed the ``nova_createbackup_ext:exceed_max_rotation``
policy rule (by default, administrators).

Possible values:

* Unset (the default): no limit, as in Nova.
* 0 or a positive integer.

Related options:

* The ``nova_createbackup_ext:exceed_max_rotation`` policy rule.
"""),
    cfg.BoolOpt(
        'glance_quota_precheck',
        default=True,
        help="""
Check the project's Glance quota before a backup is created.

From microversion 2.39 Nova leaves image quota to Glance, and Glance
only refuses a backup once the snapshot is being uploaded. With this
option the extension asks Glance for the project's image usage and
limits first (``GET /v2/info/usage``, with the caller's token, at
the image endpoint that Nova uses), and refuses a backup that one
more image would take over ``image_count_total`` or
``image_count_uploading``, or that would add to an
``image_size_total`` already reached, with HTTP 403 before any image
record is made. Requests at microversions before 2.39 are not
checked here: Nova's own quota of image metadata items applies to
them.

When Glance does not enforce unified limits (``use_keystone_limits``
is off), its first answer says so and no further usage requests are
made to that image endpoint until nova-api restarts. Callers allowed
the ``nova_createbackup_ext:skip_quota_precheck`` policy rule are not
checked.

The check costs one request to Glance per backup while Glance enforces
limits, and Glance answers it by asking Keystone for the limits: about
as long as Glance takes to create the image record itself.

Possible values:

* True (the default): check before each backup.
* False: never check; Glance alone enforces its limits.

Related options:

* ``quota_check_failure``
* The ``nova_createbackup_ext:skip_quota_precheck`` policy rule.
"""),
    cfg.StrOpt(
        'quota_check_failure',
        default='refuse',
        choices=[
            ('refuse', 'Refuse the backup with HTTP 503; nothing is '
                       'created and the user may try again later.'),
            ('proceed', 'Let Nova create the backup unchecked; Glance '
                        'still enforces its limits when the snapshot is '
                        'uploaded.'),
        ],
        help="""
What to do when Glance cannot answer the quota check.

Glance counts as unable to answer when it cannot be reached or times
out (after the retries of ``[glance] num_retries``), or answers the
usage request with an error (every supported Glance serves the usage
API, so a 404 is an error too) or with a body that is no usage
document. Such failures are not remembered: the next backup
asks again.

Related options:

* ``glance_quota_precheck``
* ``[glance] num_retries`` and ``[glance] timeout``
"""),
]


def register_opts(conf):
    """Register the extension's options on a configuration object."""
    conf.register_group(create_backup_group)
    conf.register_opts(ALL_OPTS, group=create_backup_group)


def list_opts():
    """Return the options for oslo-config-generator."""
    return [(create_backup_group, ALL_OPTS)]


CONF = cfg.CONF
register_opts(CONF)
