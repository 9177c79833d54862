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

"""The createBackup server action.

``POST /servers/{server_id}/action`` with a ``createBackup`` body, as
Nova's in-tree controller answers it at every microversion, and better
where Nova answers wrongly:

* metadata may not rewrite the image properties that Nova writes to
  attribute and rotate the backup (400, naming the key);
* a backup that loses a race with another action on the same server is
  refused with 409 and its image record is deleted (Nova answers 500 and
  leaves the image);
* from 2.39, a backup that would take the project over one of Glance's
  limits is refused with 403 before its image record exists (Nova checks
  nothing; Glance applies its limits on uploads and size only to the
  snapshot's upload, after the API has answered 202);
* Glance refusing or failing to create the image record is answered with
  a message the user can act on (400, 403 or 503, not 500), and the
  server is left as it was.
"""

import copy
import functools
import logging

from glanceclient import exc as glance_exc
from nova.api.openstack import api_version_request
from nova.api.openstack import common
from nova.api.openstack import wsgi
from nova.api import validation
from nova.compute import api as compute
from nova.compute import task_states
from nova import exception
import webob

from nova_createbackup_ext.api.schemas import create_backup as schema
from nova_createbackup_ext import conf
from nova_createbackup_ext.i18n import _
from nova_createbackup_ext import policies
from nova_createbackup_ext import quota

CONF = conf.CONF
LOG = logging.getLogger(__name__)

# Image properties that Nova writes on a backup, and reads back to tell
# whose backup it is and which backups to rotate. Nova applies a request's
# metadata after them, so a request could otherwise rewrite them.
NOVA_PROPERTIES = frozenset([
    'backup_type',
    'base_image_ref',
    'image_type',
    'instance_owner',
    'instance_uuid',
    'user_id',
])

# The attributes of a Glance image (the fields of Glance's image schema).
# Nova sends metadata to Glance as properties beside them, so a key of the
# same name would set the attribute itself: the backup's owner, its
# visibility or protection, or its formats.
GLANCE_ATTRIBUTES = frozenset([
    'checksum', 'container_format', 'created_at', 'direct_url',
    'disk_format', 'file', 'id', 'locations', 'min_disk', 'min_ram',
    'name', 'os_hash_algo', 'os_hash_value', 'os_hidden', 'owner',
    'protected', 'schema', 'self', 'size', 'status', 'stores', 'tags',
    'updated_at', 'virtual_size', 'visibility',
])

# Keys that Nova's Glance client itself treats apart when it turns an
# image's properties into Glance's attributes and back: a location to
# register, block device mappings it decodes as JSON, the kernel and
# ramdisk, which Glance's schema wants as image ids, and the deletion
# markers. A request setting one makes Nova fail after the image record
# was made, or sets more than a property.
NOVA_GLANCE_KEYS = frozenset([
    'block_device_mapping', 'deleted', 'deleted_at', 'kernel_id',
    'location', 'mappings', 'ramdisk_id',
])

RESERVED_METADATA_KEYS = (
    NOVA_PROPERTIES | GLANCE_ATTRIBUTES | NOVA_GLANCE_KEYS)


def _reserved(key):
    # Glance's database compares property names without regard to case on
    # MySQL's usual collation, and the key pattern allows spaces, so
    # "Instance_UUID " would still collide with Nova's own property.
    return key.strip().lower() in RESERVED_METADATA_KEYS


class _ImageRecorder:
    """The compute API's image API, noting the images a request creates."""

    def __init__(self, image_api, before_create=None):
        self._image_api = image_api
        self._before_create = before_create
        self.created = []

    def create(self, context, image_meta, *args, **kwargs):
        if self._before_create is not None:
            self._before_create()
        # NOTE(cbext): the id is known once nova.image.glance returns. When
        # it fails after Glance made the record (adding the owner as a
        # member of an admin's backup of another project's server), the
        # record is not known here and stays behind; finding it would take
        # a marker property on every backup.
        image = self._image_api.create(context, image_meta, *args, **kwargs)
        self.created.append(image['id'])
        return image

    def __getattr__(self, name):
        return getattr(self._image_api, name)


def _validated(cls):
    # nova.api.validation.validated marks controllers whose every method
    # has schemas; releases of Nova before it have no such marker.
    marker = getattr(validation, 'validated', None)
    return marker(cls) if marker else cls


@_validated
class CreateBackupController(wsgi.Controller):
    """The createBackup action of the servers collection."""

    def __init__(self):
        super().__init__()
        self.compute_api = compute.API()

    @wsgi.response(202)
    @wsgi.expected_errors((400, 403, 404, 409, 503))
    @wsgi.action('createBackup')
    @validation.schema(schema.create_backup_v20, '2.0', '2.0')
    @validation.schema(schema.create_backup, '2.1')
    @validation.response_body_schema(
        schema.create_backup_response, '2.1', '2.44')
    @validation.response_body_schema(
        schema.create_backup_response_v245, '2.45')
    def _create_backup(self, req, id, body):
        """Back up a server to an image and rotate its older backups."""
        context = req.environ['nova.context']
        instance = common.get_instance(self.compute_api, context, id)
        target = {'project_id': instance.project_id}
        policies.authorize(context, policies.BASE_POLICY_NAME, target)

        entity = body['createBackup']
        image_name = common.normalize_name(entity['name'])
        backup_type = entity['backup_type']
        rotation = int(entity['rotation'])
        metadata = entity.get('metadata', {})
        self._check_metadata(metadata)
        self._check_backup_type(backup_type)
        self._check_rotation(context, rotation, target)

        # Up to 2.38 the metadata counts against Nova's own quota of image
        # metadata items; from 2.39 image quota is Glance's alone, and it is
        # asked once Nova has checked the server, before it creates the
        # image.
        if not api_version_request.is_supported(req, '2.39'):
            common.check_img_metadata_properties_quota(context, metadata)
            before_create = None
        else:
            before_create = functools.partial(
                self._check_glance_quota, context, target)

        image = self._backup(context, instance, image_name, backup_type,
                             rotation, metadata, before_create)

        # From 2.45 the image's id is in the body and there is no Location.
        if api_version_request.is_supported(req, '2.45'):
            return {'image_id': image['id']}

        resp = webob.Response(status_int=202)
        # Before 2.45 a Location header points at the image, but only when
        # rotation is not zero, as in Nova.
        if rotation > 0:
            resp.headers['Location'] = common.url_join(
                req.application_url, 'images', str(image['id']))
        return resp

    @staticmethod
    def _check_metadata(metadata):
        reserved = sorted(key for key in metadata if _reserved(key))
        if reserved:
            msg = _("Metadata may not set %(keys)s: Nova and Glance keep "
                    "these for the backup's own attributes and for "
                    "attributing and rotating backups. Use other keys.") % {
                        'keys': ', '.join(reserved)}
            raise webob.exc.HTTPBadRequest(explanation=msg)
        # NOTE(cbext): at 2.0 Nova's lenient validation skips the metadata
        # schema when none of its keys match the key pattern, so values of
        # any type reach here; Glance takes only strings.
        bad = sorted(key for key, value in metadata.items()
                     if not isinstance(value, str) or len(value) > 255)
        if bad:
            msg = _("Metadata values must be strings of at most 255 "
                    "characters; not so for %(keys)s.") % {
                        'keys': ', '.join(bad)}
            raise webob.exc.HTTPBadRequest(explanation=msg)

    @staticmethod
    def _check_backup_type(backup_type):
        allowed = CONF.create_backup.allowed_backup_types
        if allowed and backup_type not in allowed:
            msg = _("Backup type '%(type)s' is not accepted by this cloud. "
                    "Accepted types: %(allowed)s.") % {
                        'type': backup_type, 'allowed': ', '.join(allowed)}
            raise webob.exc.HTTPBadRequest(explanation=msg)

    @staticmethod
    def _check_rotation(context, rotation, target):
        limit = CONF.create_backup.max_rotation
        if limit is None or rotation <= limit:
            return
        if policies.authorize(context, policies.EXCEED_MAX_ROTATION, target,
                              fatal=False):
            return
        msg = _("Rotation %(rotation)d is more than this cloud keeps: at "
                "most %(limit)d backups of one type are kept for a "
                "server.") % {'rotation': rotation, 'limit': limit}
        raise webob.exc.HTTPBadRequest(explanation=msg)

    @staticmethod
    def _check_glance_quota(context, target):
        if not CONF.create_backup.glance_quota_precheck:
            return
        if policies.authorize(context, policies.SKIP_QUOTA_PRECHECK, target,
                              fatal=False):
            return
        try:
            quota.check(context)
        except quota.LimitExceeded as e:
            raise webob.exc.HTTPForbidden(explanation=e.message)
        except quota.UsageUnavailable as e:
            if CONF.create_backup.quota_check_failure == 'proceed':
                LOG.warning('The image service cannot tell the quota of '
                            'project %(project)s (%(reason)s); the backup '
                            'goes ahead unchecked',
                            {'project': context.project_id, 'reason': e})
                return
            LOG.warning('createBackup refused: the image service cannot '
                        'tell the quota of project %(project)s '
                        '(%(reason)s)',
                        {'project': context.project_id, 'reason': e})
            msg = _("The image service cannot tell whether the project's "
                    "image quota allows a backup, so no backup was made. "
                    "Try again later.")
            raise webob.exc.HTTPServiceUnavailable(explanation=msg)

    def _backup(self, context, instance, name, backup_type, rotation,
                metadata, before_create=None):
        # A shallow copy of the compute API whose image API runs the checks
        # due just before the image record is made (Nova has checked the
        # server's state by then), and notes the record, so that it can be
        # deleted if the backup fails after it was made.
        recorder = _ImageRecorder(self.compute_api.image_api, before_create)
        compute_api = copy.copy(self.compute_api)
        compute_api.image_api = recorder
        try:
            return compute_api.backup(context, instance, name, backup_type,
                                      rotation,
                                      extra_properties=dict(metadata))
        except webob.exc.HTTPException:
            # Refused by a check run before the image record was made.
            raise
        except exception.InstanceInvalidState as state_error:
            common.raise_http_conflict_for_instance_invalid_state(
                state_error, 'createBackup', instance.uuid)
        except exception.UnexpectedTaskStateError:
            # Another action took the server between Nova's state check
            # and its save of the task state.
            self._delete_images(context, recorder.created, instance)
            msg = _("Cannot 'createBackup' server %(id)s: another action "
                    "on it started at the same time. Try again when the "
                    "server's task state is none.") % {'id': instance.uuid}
            raise webob.exc.HTTPConflict(explanation=msg)
        except exception.InstanceNotFound:
            self._delete_images(context, recorder.created, instance)
            msg = _("Server %(id)s was deleted while its backup was being "
                    "created.") % {'id': instance.uuid}
            raise webob.exc.HTTPNotFound(explanation=msg)
        except exception.NotFound:
            # Nova's image API turns Glance's 404 on the image create into
            # a plain NotFound: the image endpoint is not Glance's.
            LOG.warning('createBackup of server %s failed: the image '
                        'service answered 404 to the image create',
                        instance.uuid)
            msg = _("The image service could not create the backup's "
                    "image (HTTP 404), so no backup was made. Try again "
                    "later.")
            raise webob.exc.HTTPServiceUnavailable(explanation=msg)
        except exception.InvalidRequest as e:
            raise webob.exc.HTTPBadRequest(explanation=e.format_message())
        except exception.Invalid as e:
            # Glance refused the image record (HTTP 400 from Glance).
            msg = _("The image service refused the backup's image: "
                    "%(reason)s") % {'reason': e.format_message()}
            raise webob.exc.HTTPBadRequest(explanation=msg)
        except exception.GlanceConnectionFailed:
            LOG.warning('createBackup of server %s failed: the image '
                        'service cannot be reached', instance.uuid)
            msg = _("The image service cannot be reached, so no backup was "
                    "made. Try again later.")
            raise webob.exc.HTTPServiceUnavailable(explanation=msg)
        except Exception as e:
            self._map_glance_error(e)
            # Anything else is ours or Nova's to fix: leave nothing behind
            # and let nova's error handling answer 500.
            self._undo(context, recorder.created, instance)
            raise

    @staticmethod
    def _map_glance_error(exc):
        if not isinstance(exc, glance_exc.HTTPException):
            return
        if isinstance(exc, glance_exc.HTTPOverLimit):
            msg = _("The image service's quota does not allow this backup: "
                    "%(reason)s. Delete unused images or backups, or ask "
                    "for a higher quota.") % {'reason': exc.details or exc}
            raise webob.exc.HTTPForbidden(explanation=msg)
        if isinstance(exc, glance_exc.HTTPConflict):
            msg = _("The image service refused the backup's image as "
                    "conflicting: %(reason)s") % {
                        'reason': exc.details or exc}
            raise webob.exc.HTTPConflict(explanation=msg)
        code = exc.code if isinstance(exc.code, int) else None
        if code is not None and 400 <= code < 500 and code != 429:
            msg = _("The image service refused the backup's image (HTTP "
                    "%(code)s): %(reason)s") % {
                        'code': code, 'reason': exc.details or exc}
            raise webob.exc.HTTPBadRequest(explanation=msg)
        # A server error, too many requests, or a status glanceclient has
        # no class for (such as a gateway's timeout).
        msg = _("The image service failed to create the backup's image "
                "(HTTP %(code)s), so no backup was made. Try again "
                "later.") % {'code': code or exc.code}
        raise webob.exc.HTTPServiceUnavailable(explanation=msg)

    def _undo(self, context, image_ids, instance):
        self._delete_images(context, image_ids, instance)
        if instance.task_state != task_states.IMAGE_BACKUP:
            return
        instance.task_state = None
        try:
            instance.save(expected_task_state=[task_states.IMAGE_BACKUP])
        except Exception:
            LOG.warning('Could not clear the task state of server %s after '
                        'a failed createBackup', instance.uuid,
                        exc_info=LOG.isEnabledFor(logging.DEBUG))

    def _delete_images(self, context, image_ids, instance):
        for image_id in image_ids:
            try:
                self.compute_api.image_api.delete(context, image_id)
            except exception.ImageNotFound:
                pass
            except Exception:
                LOG.warning('Could not delete image %(image)s of a failed '
                            'createBackup of server %(server)s',
                            {'image': image_id, 'server': instance.uuid},
                            exc_info=LOG.isEnabledFor(logging.DEBUG))
            else:
                LOG.info('Deleted image %(image)s of a failed createBackup '
                         'of server %(server)s',
                         {'image': image_id, 'server': instance.uuid})
