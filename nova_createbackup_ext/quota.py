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

"""The check of a project's Glance quota made before a backup exists.

Glance reports a project's usage against its unified limits at
``GET /v2/info/usage``, for the project of the token that asks. The check
asks it with the caller's token, at the image endpoint that Nova itself
uses and through Nova's own Glance client, so the endpoint, the TLS
settings, the service token and the retries are the ones with which Nova
then creates the backup's image.

A Glance that does not enforce unified limits answers with no usage at all.
That cannot change until
Glance is reconfigured and restarted, so it is remembered for the image
endpoint until this process restarts, and no further usage requests are
made to it. Nothing else is remembered between requests.
"""

import logging

import glanceclient.exc as glance_exc
from keystoneauth1 import exceptions as ksa_exc
from nova import exception
from nova.image import glance

from nova_createbackup_ext.i18n import _

LOG = logging.getLogger(__name__)

# Limits on the number of images: the backup adds one image, so a project
# whose usage is already at the limit would go over it. Glance counts the
# new image against image_count_total when its record is created, and
# against image_count_uploading when Nova starts uploading the snapshot.
COUNT_LIMITS = ('image_count_total', 'image_count_uploading')

# A limit on the size of the project's images, in MiB. The size of the
# snapshot is not known before it is taken, but it is more than nothing,
# so a project already at the limit would go over it.
# NOTE(cbext): a project below its size limit by less than the snapshot
# will take is not refused here; Glance refuses the upload later and the
# backup's image goes to "killed". Knowing the snapshot's size beforehand
# would need the virt driver's view of the disk, which the API has not.
# NOTE(cbext): image_stage_total is not checked: it counts data staged for
# Glance's image import, and Nova uploads a snapshot's data directly.
SIZE_LIMITS = ('image_size_total',)

# Image endpoints whose Glance enforces no limits, as the first answer of
# each said; see the module's docstring.
_endpoints_without_limits = set()


class LimitExceeded(Exception):
    """One more image would take the project over a Glance limit."""

    def __init__(self, name, limit, usage):
        self.name = name
        self.limit = limit
        self.usage = usage
        super().__init__(name, limit, usage)

    @property
    def message(self):
        """The translated message for the user."""
        return _("The project's image limit %(name)s is %(limit)d and its "
                 "usage is %(usage)d, so a backup would exceed it. Delete "
                 "unused images or backups, or ask for a higher "
                 "limit.") % {'name': self.name, 'limit': self.limit,
                              'usage': self.usage}


class UsageUnavailable(Exception):
    """Glance could not tell the project's usage against its limits."""

    def __init__(self, endpoint, reason):
        self.endpoint = endpoint
        self.reason = reason
        super().__init__(endpoint, reason)

    def __str__(self):
        return f'{self.endpoint}: {self.reason}'


def reset():
    """Forget which image endpoints enforce no limits.

    For tests, and for code that reloads the configuration in-process.
    """
    _endpoints_without_limits.clear()


def check(context):
    """Refuse a backup that would take the project over a Glance limit.

    :param context: the request's nova.context.RequestContext, whose token
        and project are those of the caller
    :raises LimitExceeded: when one more image would exceed a limit
    :raises UsageUnavailable: when Glance cannot be reached, times out or
        gives no answer that can be used
    """
    # NOTE(cbext): the usage is read, not reserved: two backups of one
    # project at the same moment may both pass one below a count limit.
    # Glance's own check then refuses the second image record, which the
    # controller answers with 403 too.
    endpoint = _endpoint(context)
    if endpoint in _endpoints_without_limits:
        return

    usage = _get_usage(context, endpoint)
    if not usage:
        _endpoints_without_limits.add(endpoint)
        LOG.info('The image service at %s enforces no unified limits; '
                 'backups are not checked against its quota until '
                 'nova-api restarts', endpoint)
        return

    for name in COUNT_LIMITS + SIZE_LIMITS:
        entry = usage.get(name)
        if entry is None:
            continue
        limit, used = entry['limit'], entry['usage']
        # Keystone's unified limits mean "no limit" by a negative value.
        if limit >= 0 and used >= limit:
            LOG.debug('createBackup refused for project %(project)s: '
                      '%(name)s is %(limit)d and the usage %(usage)d',
                      {'project': context.project_id, 'name': name,
                       'limit': limit, 'usage': used})
            raise LimitExceeded(name, limit, used)


def _endpoint(context):
    # Nova's own choice of image endpoint: [glance] api_servers when set,
    # else the image endpoint of the service catalog.
    try:
        endpoint = next(glance.get_api_servers(context))
    except ksa_exc.ClientException as e:
        raise UsageUnavailable(None, str(e) or type(e).__name__)
    if not endpoint:
        raise UsageUnavailable(
            None, 'no image endpoint in the service catalog')
    return endpoint


def _get_usage(context, endpoint):
    """Return Glance's usage answer, or {} when it enforces no limits."""
    client = glance.GlanceClientWrapper(context=context, endpoint=endpoint)
    try:
        usage = client.call(context, 2, 'get_usage', controller='info')
    except exception.GlanceConnectionFailed as e:
        # Unreachable, timed out or 503, after [glance] num_retries.
        raise UsageUnavailable(endpoint, e.format_message())
    except glance_exc.HTTPException as e:
        raise UsageUnavailable(
            endpoint, f'HTTP {e.code} for the usage request')
    except (AttributeError, KeyError, TypeError, ValueError):
        # glanceclient could not read the answer: no "usage" in a good
        # answer, or an error answer in a shape it does not know (such as
        # a proxy's).
        LOG.debug('Unreadable answer of the image service at %s to the '
                  'usage request', endpoint,
                  exc_info=LOG.isEnabledFor(logging.DEBUG))
        raise UsageUnavailable(endpoint, 'unreadable answer')

    if not isinstance(usage, dict) or not all(
            _is_usage_entry(entry) for entry in usage.values()):
        raise UsageUnavailable(endpoint, 'answer with a malformed usage')
    return usage


def _is_usage_entry(entry):
    return (isinstance(entry, dict) and
            all(type(entry.get(key)) is int for key in ('limit', 'usage')))
