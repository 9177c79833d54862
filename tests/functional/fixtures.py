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

"""An in-process Nova deployment for the createBackup tests.

:class:`CreateBackupTestCase` starts Nova's conductor, scheduler and
compute service and its compute API, from Nova's own functional fixtures,
with three corrections that the createBackup tests need:

* the compute API is loaded from this directory's ``api-paste.ini``
  (``[wsgi] api_paste_config`` points at it) through the extension's
  paste factory; the same deployment is also reachable through Nova's
  stock router (:meth:`CreateBackupTestCase.router`), for the tests that
  compare the two;
* the shipped policy defaults are enforced, with ``enforce_new_defaults``
  and ``enforce_scope`` on as in a deployment, and requests carry the
  headers keystonemiddleware would set, so Nova's own context middleware
  builds each persona's context (:data:`PERSONAS`);
* Glance is a fake that honours list filters, sorting and creation order,
  stores what is uploaded, and can refuse or fail as the real one does
  (:class:`GlanceFixture`), and the compute driver uploads a payload when
  it snapshots, so that backups become ``active``
  (:class:`UploadingFakeDriver`).

Requests go through wsgi-intercept: nothing leaves the process.
"""

import copy
import dataclasses
import datetime
import io
import itertools
import os
import threading
import time

import fixtures
import glanceclient.exc as glance_exc
from nova.api.openstack import wsgi_app
from nova.api import wsgi
from nova.compute import task_states
from nova import context as nova_context
from nova import exception
from nova.image import glance as nova_glance
from nova import objects
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional.api import client
from nova.tests.functional import fixtures as func_fixtures
from nova.tests.functional import integrated_helpers
from nova.virt import fake
from oslo_config import cfg
from oslo_serialization import jsonutils
from oslo_utils.fixture import uuidsentinel
from requests import adapters
from wsgi_intercept import interceptor

from nova_createbackup_ext import conf  # noqa: F401 - registers options
from nova_createbackup_ext import quota

CONF = cfg.CONF

PASTE_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            'api-paste.ini')

#: The extension's router, as an operator configures nova-api with it.
OURS = 'ours'
#: Nova's own router, ``nova.api.openstack.compute.routes:APIRouterV21``.
STOCK = 'stock'
ROUTERS = (OURS, STOCK)

# The composite application of api-paste.ini that serves each router.
_PASTE_APPS = {OURS: 'osapi_compute', STOCK: 'osapi_compute_stock'}

PROJECT_ID = nova_fixtures.PROJECT_ID
OTHER_PROJECT_ID = 'a3f1c0a5e1c84a0f9a1f6c0a0a6f3d21'

#: Microversions at which createBackup changes, and the newest.
MICROVERSIONS = ('2.0', '2.1', '2.38', '2.39', '2.44', '2.45', 'latest')

# How long a test waits for a held request or service to arrive at a gate.
GATE_TIMEOUT = 30


@dataclasses.dataclass(frozen=True)
class Persona:
    """Who sends a request: what keystonemiddleware would tell Nova."""

    user_id: str
    project_id: str | None
    roles: tuple[str, ...]
    system_scope: str | None = None


#: The callers of the tests, by name. The servers of the tests belong to
#: PROJECT_ID and are created by ``project_member``.
PERSONAS = {
    'project_admin': Persona(
        'project-admin', PROJECT_ID, ('admin', 'member', 'reader')),
    'project_member': Persona(
        'project-member', PROJECT_ID, ('member', 'reader')),
    'project_reader': Persona('project-reader', PROJECT_ID, ('reader',)),
    'project_no_role': Persona('project-no-role', PROJECT_ID, ('other',)),
    'other_project_admin': Persona(
        'other-admin', OTHER_PROJECT_ID, ('admin', 'member', 'reader')),
    'other_project_member': Persona(
        'other-member', OTHER_PROJECT_ID, ('member', 'reader')),
    'other_project_reader': Persona(
        'other-reader', OTHER_PROJECT_ID, ('reader',)),
    'system_admin': Persona(
        'system-admin', None, ('admin', 'member', 'reader'), 'all'),
}


class Client(client.TestOpenStackClient):
    """Nova's functional API client, speaking for a persona.

    Requests carry the headers that keystonemiddleware's authtoken sets
    for a validated token, so that Nova's NovaKeystoneContext builds the
    request context as in a deployment.
    """

    def __init__(self, base_url, persona, microversion=None):
        super().__init__(persona.user_id, base_url,
                         project_id=persona.project_id or '',
                         roles=list(persona.roles))
        self.persona = persona
        self.microversion = microversion

    def request(self, url, method='GET', body=None, headers=None):
        headers = dict(headers or {})
        # What the base client sets for Nova's stubbed context middleware
        # is replaced by what authtoken sets.
        for name in ('X-Auth-User', 'X-Auth-Project-Id', 'X-User-Id',
                     'X-Roles'):
            headers.pop(name, None)
        headers['X-Auth-Token'] = 'token-of-%s' % self.persona.user_id
        headers['X-User-Id'] = self.persona.user_id
        headers['X-Roles'] = ','.join(self.persona.roles)
        if self.persona.project_id:
            headers['X-Project-Id'] = self.persona.project_id
        if self.persona.system_scope:
            headers['OpenStack-System-Scope'] = self.persona.system_scope
        return super().request(url, method=method, body=body,
                               headers=headers)

    def post_action(self, server_id, body, raw_body=None, headers=None):
        """POST a server action and return the ``requests`` response.

        :param body: the action, serialised to JSON
        :param raw_body: sent as it is instead of ``body``, for bodies
            that are not JSON
        """
        data = raw_body if raw_body is not None else jsonutils.dumps(body)
        return self.api_request('/servers/%s/action' % server_id,
                                method='POST', body=data,
                                headers=dict(headers or {}))


def _pass_through_filter_factory(global_conf, **local_conf):
    return lambda app: app


class APIFixture(fixtures.Fixture):
    """The compute API of the deployment, through one of the routers.

    It is loaded with Nova's paste loader from ``[wsgi] api_paste_config``
    and served, through wsgi-intercept, at a host name of its own, with
    the ``/v2`` and ``/v2.1`` endpoints of a deployment.
    """

    def __init__(self, router=OURS):
        super().__init__()
        if router not in _PASTE_APPS:
            raise ValueError('unknown router %r' % router)
        self.router = router

    def _setUp(self):
        # Tokens are not validated: authtoken passes requests through.
        self.useFixture(fixtures.MonkeyPatch(
            'keystonemiddleware.auth_token.filter_factory',
            _pass_through_filter_factory))
        # wsgi-intercept's connections take no socket options.
        self.useFixture(fixtures.MonkeyPatch(
            'keystoneauth1.session.TCPKeepAliveAdapter.init_poolmanager',
            adapters.HTTPAdapter.init_poolmanager))

        self.app = wsgi.Loader().load_app(_PASTE_APPS[self.router])
        self.host = 'cbext-%s-%s' % (self.router, uuidsentinel.cbext_api)
        intercept = interceptor.RequestsInterceptor(
            lambda: self.app, url='http://%s:80/' % self.host)
        intercept.install_intercept()
        self.addCleanup(intercept.uninstall_intercept)

    def base_url(self, endpoint='v2.1'):
        return 'http://%s:80/%s' % (self.host, endpoint)

    def client(self, persona='project_member', microversion=None):
        """A client for a persona at a microversion.

        :param persona: a key of :data:`PERSONAS`, or a :class:`Persona`
        :param microversion: ``'2.0'`` for the ``/v2`` endpoint (where no
            microversion is sent), else the microversion to ask for at
            ``/v2.1``; by default, none (the endpoint's minimum)
        """
        if not isinstance(persona, Persona):
            persona = PERSONAS[persona]
        if microversion == '2.0':
            return Client(self.base_url('v2'), persona)
        return Client(self.base_url('v2.1'), persona,
                      microversion=microversion)


class Gate:
    """Holds the first ``count`` callers until the test releases them."""

    def __init__(self, count=1):
        self.entered = threading.Event()
        self.released = threading.Event()
        self._left = count
        self._lock = threading.Lock()

    def pass_through(self):
        with self._lock:
            if self._left <= 0:
                return
            self._left -= 1
        self.entered.set()
        if not self.released.wait(GATE_TIMEOUT):
            raise AssertionError('a gate was not released in time')

    def wait_entered(self):
        if not self.entered.wait(GATE_TIMEOUT):
            raise AssertionError('nothing arrived at a gate in time')

    def release(self):
        self.released.set()


class GlanceFixture(nova_fixtures.GlanceFixture):
    """Nova's fake Glance, closer to the real one where backups need it.

    Nova's fake returns every image whatever the filters, stamps every
    image with one time and marks it active before anything is uploaded;
    backup rotation on it deletes the wrong images. This one:

    * honours ``filters`` (``property-<key>`` for image properties, other
      keys for the image's own fields), ``sort_key``/``sort_dir``
      (created_at, newest first, by default, as Glance sorts),
      ``limit`` and ``marker``;
    * gives each image created through Nova a distinct, increasing
      ``created_at``, and the status ``queued`` until data is uploaded,
      when it becomes ``active`` and the data is kept;
    * refuses, as Glance does, a property name longer than 255 characters
      (400) and more properties than :attr:`property_quota` (Glance's
      ``image_property_quota``: 413);
    * treats a property named like one of Glance's image attributes as
      Glance gets it from Nova, which sends properties and attributes
      side by side: a read-only attribute is refused (403), a value of
      the wrong type for its attribute too (400), a visibility or owner
      the caller may not give is refused (403), and any other value sets
      the attribute;
    * answers the usage request (``GET /v2/info/usage``) that the
      extension's quota check sends through Nova's Glance client, from the
      images it holds and :attr:`limits`, or as a Glance that enforces no
      limits while :attr:`limits` is None;
    * can refuse the next image record with any Glance answer
      (:meth:`refuse_next_create`), be unreachable (:attr:`reachable`), or
      hold a create at a :class:`Gate` (:attr:`create_gate`).

    Errors leave it as they would leave Nova's image API: a Glance HTTP
    error goes through Nova's own translation of it.

    NOTE(cbext): image visibility and members are not modelled: every
    image is listed to every caller, which is how an admin sees Glance.
    """

    #: Glance's image_property_quota (its default is 128).
    property_quota = 128

    # Glance's image attributes, by how a create request may set them.
    _READ_ONLY = frozenset([
        'checksum', 'created_at', 'deleted', 'deleted_at', 'direct_url',
        'file', 'id', 'location', 'locations', 'os_hash_algo',
        'os_hash_value', 'schema', 'self', 'size', 'status', 'stores',
        'updated_at', 'virtual_size'])
    _NOT_STRINGS = frozenset([
        'min_disk', 'min_ram', 'os_hidden', 'protected', 'tags'])
    _STRINGS = frozenset([
        'container_format', 'disk_format', 'name', 'owner', 'visibility'])
    _VISIBILITIES = ('community', 'private', 'public', 'shared')

    #: The unified limits of every project, by name (``image_count_total``,
    #: ``image_count_uploading``, ``image_size_total`` in MiB); None for a
    #: Glance that enforces none.
    limits = None

    def __init__(self, test):
        super().__init__(test)
        self._sequence = itertools.count(1)
        self._create_faults = []
        self.reachable = True
        self.create_gate = None
        self.usage_requests = 0

    def setUp(self):
        super().setUp()

        def call(wrapper, context, version, method, controller=None,
                 args=None, kwargs=None):
            if (controller, method) == ('info', 'get_usage'):
                return self.get_usage(context)
            # Anything else would go to a Glance server: there is none.
            raise AssertionError(
                'the fake Glance has no %s.%s' % (controller, method))

        self.test.stub_out('nova.image.glance.GlanceClientWrapper.call',
                           call)

    # Failures

    def refuse_next_create(self, error):
        """Answer the next image create with a Glance error.

        :param error: a ``glanceclient.exc.HTTPException`` (what Glance
            answers) or a ``nova.exception.NovaException`` (what Nova's
            image API raises, such as GlanceConnectionFailed)
        """
        self._create_faults.append(error)

    def _check_reachable(self):
        if not self.reachable:
            raise exception.GlanceConnectionFailed(
                server='127.0.0.1:9292', reason='connection refused')

    @staticmethod
    def _raise(error):
        if isinstance(error, glance_exc.HTTPException):
            # NOTE(cbext): nova.image.glance's own translation, so that
            # a refusal reaches Nova's compute API as Glance's would.
            try:
                raise error
            except glance_exc.HTTPException:
                nova_glance._reraise_translated_exception()
        raise error

    def _check_properties(self, properties):
        for key in properties:
            if len(key) > 255:
                self._raise(glance_exc.HTTPBadRequest(
                    'Custom property should not be greater than 255 '
                    'characters.'))
        if len(properties) > self.property_quota:
            self._raise(glance_exc.HTTPOverLimit(
                'The limit has been exceeded on the number of allowed '
                'image properties. Attempted: %d, Maximum: %d'
                % (len(properties), self.property_quota)))

    def _apply_attributes(self, context, metadata, properties):
        # Nova sends a backup's properties to Glance beside its attributes,
        # so a property named like an attribute is taken as the attribute.
        for key in sorted(self._READ_ONLY.intersection(properties)):
            self._raise(glance_exc.HTTPForbidden(
                "Attribute '%s' is read-only." % key))
        for key in sorted(self._NOT_STRINGS.intersection(properties)):
            self._raise(glance_exc.HTTPBadRequest(
                "Provided object does not match schema 'image': %r is not "
                "valid under any of the given schemas: %s" % (
                    properties[key], key)))
        for key in sorted(self._STRINGS.intersection(properties)):
            value = properties.pop(key)
            if key == 'visibility' and value not in self._VISIBILITIES:
                self._raise(glance_exc.HTTPBadRequest(
                    "Provided object does not match schema 'image': %r is "
                    "not one of %s" % (value, list(self._VISIBILITIES))))
            if not context.is_admin and (
                    (key == 'visibility' and value == 'public') or
                    (key == 'owner' and value != context.project_id)):
                self._raise(glance_exc.HTTPForbidden(
                    "You are not authorized to set the %s of an image to "
                    "%r." % (key, value)))
            if key == 'owner':
                properties['owner'] = value
            else:
                metadata[key] = value

    def get_usage(self, context):
        """Glance's answer to the usage request of a project."""
        self._check_reachable()
        self.usage_requests += 1
        if self.limits is None:
            return {}
        owned = [image for image in self.images.values()
                 if image.get('properties', {}).get('owner') ==
                 context.project_id]
        usage = {
            'image_count_total': len(owned),
            'image_count_uploading': len([
                image for image in owned
                if image['status'] in ('saving', 'importing')]),
            'image_size_total': sum(
                image.get('size') or 0 for image in owned
                if image['status'] == 'active') // (1024 * 1024),
        }
        return {name: {'limit': limit, 'usage': usage[name]}
                for name, limit in self.limits.items()}

    # Nova's image service interface

    def detail(self, context, filters=None, sort_key='created_at',
               sort_dir='desc', limit=None, marker=None, **kwargs):
        self._check_reachable()
        filters = dict(filters or {})
        images = [image for image in self.images.values()
                  if self._matches(image, filters)]
        if isinstance(sort_key, (list, tuple)):
            sort_key = sort_key[0]
        if isinstance(sort_dir, (list, tuple)):
            sort_dir = sort_dir[0]
        images.sort(key=lambda image: (image.get(sort_key) is not None,
                                       image.get(sort_key), image['id']),
                    reverse=(sort_dir == 'desc'))
        if marker is not None:
            ids = [image['id'] for image in images]
            if marker not in ids:
                raise exception.ImageNotFound(image_id=marker)
            images = images[ids.index(marker) + 1:]
        if limit is not None:
            images = images[:int(limit)]
        return copy.deepcopy(images)

    @staticmethod
    def _matches(image, filters):
        properties = image.get('properties', {})
        for key, wanted in filters.items():
            if key.startswith('property-'):
                value = properties.get(key[len('property-'):])
            else:
                value = image.get(key, properties.get(key))
            if value is None or str(value) != str(wanted):
                return False
        return True

    def show(self, context, image_id, include_locations=False,
             show_deleted=True):
        self._check_reachable()
        return super().show(context, image_id,
                            include_locations=include_locations,
                            show_deleted=show_deleted)

    def create(self, context, metadata, data=None):
        self._check_reachable()
        # Images that tests seed have no context; Nova always passes one.
        if context is None:
            return super().create(context, metadata, data=data)

        if self._create_faults:
            self._raise(self._create_faults.pop(0))
        metadata = copy.deepcopy(metadata)
        properties = metadata.setdefault('properties', {})
        # Nova's Glance client turns this one into an image member; it
        # is not a property Glance stores.
        properties.pop('instance_owner', None)
        self._check_properties(properties)
        self._apply_attributes(context, metadata, properties)
        if self.create_gate is not None:
            self.create_gate.pass_through()

        created = self.timestamp + datetime.timedelta(
            seconds=next(self._sequence))
        metadata.setdefault('created_at', created)
        metadata.setdefault('updated_at', created)
        if data is None:
            metadata.setdefault('status', 'queued')
            metadata.setdefault('size', 0)
        image = super().create(context, metadata, data=data)
        return copy.deepcopy(image)

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        self._check_reachable()
        metadata = copy.deepcopy(metadata)
        if 'properties' in metadata:
            merged = {} if purge_props else dict(
                self.images.get(image_id, {}).get('properties', {}))
            merged.update(metadata['properties'])
            self._check_properties(merged)
        image = super().update(context, image_id, metadata,
                               purge_props=purge_props)
        if data is not None:
            payload = data.read() if hasattr(data, 'read') else bytes(data)
            self._imagedata[image_id] = payload
            image['size'] = len(payload)
            image['status'] = 'active'
        return copy.deepcopy(image)

    def delete(self, context, image_id):
        self._check_reachable()
        return super().delete(context, image_id)

    # For the tests

    def backups(self, server_id=None, backup_type=None):
        """The backup images held, oldest first."""
        filters = {'property-image_type': 'backup'}
        if server_id is not None:
            filters['property-instance_uuid'] = server_id
        if backup_type is not None:
            filters['property-backup_type'] = backup_type
        return list(reversed(self.detail(None, filters=filters)))

    def data(self, image_id):
        """The bytes uploaded to an image, or None."""
        return self._imagedata.get(image_id)


class UploadingFakeDriver(fake.SmallFakeDriver):
    """Nova's fake driver, uploading a small payload when it snapshots.

    Nova's FakeDriver uploads nothing, so a backup's image never becomes
    active. This one uploads :attr:`payload` through Nova's image API, as
    a real driver uploads the disk. A test may hold snapshots at a
    :class:`Gate` (:attr:`snapshot_gate`).
    """

    payload = b'nova-createbackup-ext functional test disk\n'

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only=read_only)
        self.snapshot_gate = None
        self._image_api = nova_glance.API()

    def snapshot(self, context, instance, image_id, update_task_state):
        super().snapshot(context, instance, image_id, update_task_state)
        if self.snapshot_gate is not None:
            self.snapshot_gate.pass_through()
        self._image_api.update(
            context, image_id,
            {'disk_format': 'raw', 'container_format': 'bare'},
            data=io.BytesIO(self.payload))


class _FastPollTime:
    """The time module, for a poll loop: sleeps of at most 5 ms."""

    time = staticmethod(time.time)

    @staticmethod
    def sleep(seconds):
        time.sleep(min(seconds, 0.005))


class CreateBackupTestCase(test.TestCase,
                           integrated_helpers.InstanceHelperMixin):
    """Nova's services in process, with the extension serving the API.

    ``self.api`` is the project member's client through the extension at
    :attr:`microversion`; :meth:`client` gives any persona, microversion
    and router; :meth:`router` the API fixture of either router, sharing
    this deployment (the stock one is loaded on first use).
    ``self.glance`` is the :class:`GlanceFixture`, ``self.compute`` the
    compute service (its driver an :class:`UploadingFakeDriver`).
    """

    # Nova's _IntegratedTestBase takes the external locks of its services.
    REQUIRES_LOCKING = True
    #: RPC casts wait for the service to finish, so that a backup is done
    #: when its createBackup is answered.
    CAST_AS_CALL = True
    #: The microversion of ``self.api`` and ``self.admin_api``.
    microversion = 'latest'
    #: The compute driver class.
    compute_driver_class = UploadingFakeDriver

    def setUp(self):
        super().setUp()
        self.flags(api_paste_config=PASTE_CONFIG, group='wsgi')
        self.flags(enforce_new_defaults=True, group='oslo_policy')
        # oslo.policy 6 always enforces scope types and dropped the option;
        # earlier releases need it set.
        if 'enforce_scope' in CONF.oslo_policy:
            self.flags(enforce_scope=True, group='oslo_policy')
        # The extension remembers, per process, an image endpoint that
        # enforces no limits: each test starts afresh.
        quota.reset()
        self.addCleanup(quota.reset)

        # NOTE(cbext): oslo.messaging's fake driver looks for messages
        # every 50 ms, and a backup takes a dozen RPC round trips; at 5 ms
        # the suite runs twice as fast, for no more CPU.
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_messaging._drivers.impl_fake.time', _FastPollTime))
        if self.CAST_AS_CALL:
            self.useFixture(nova_fixtures.CastAsCallFixture(self))
        self.placement = self.useFixture(func_fixtures.PlacementFixture()).api
        self.neutron = self.useFixture(nova_fixtures.NeutronFixture(self))
        self.cinder = self.useFixture(nova_fixtures.CinderFixture(self))
        self.glance = self.useFixture(GlanceFixture(self))
        # The shipped defaults, replacing the permissive fake policy that
        # nova.test.TestCase loads.
        self.policy = self.useFixture(nova_fixtures.RealPolicyFixture())
        self.notifier = self.useFixture(
            nova_fixtures.NotificationFixture(self))

        self.conductor = self.start_service('conductor')
        self.addCleanup(self.conductor.stop)
        self.scheduler = self.start_service('scheduler')
        self.addCleanup(self.scheduler.stop)
        driver_class = self.compute_driver_class
        with fixtures.MonkeyPatch(
                'nova.virt.driver.load_compute_driver',
                lambda virtapi, compute_driver=None: driver_class(virtapi)):
            self.compute = self._start_compute('compute')
        self.addCleanup(self._stop_computes)

        wsgi_app._setup_service(self.compute.host, 'osapi_compute')
        self._routers = {}
        self.api = self.client('project_member')
        self.admin_api = self.client('project_admin')
        self.reader_api = self.client('project_reader')

    def _wait_for_server_parameter(self, server, expected_params,
                                   max_retries=10, api=None,
                                   wait_for_fault_key=True):
        # Nova's helper polls every half second; these tests wait for
        # servers often, so poll ten times as often, for as long.
        api = api or self.admin_api
        for _ in range(max_retries * 10):
            server = api.get_server(server['id'])
            if all(server.get(key) == value
                   for key, value in expected_params.items()):
                return server
            time.sleep(0.05)
        self.fail('Server %s did not reach %s: %s' % (
            server['id'], expected_params, server))

    def wait_for_image_status(self, image_id, status='active', timeout=10):
        """Wait for an image of the fake Glance to reach a status."""
        deadline = time.monotonic() + timeout
        while True:
            image = self.glance.show(None, image_id)
            if image['status'] == status:
                return image
            if time.monotonic() > deadline:
                self.fail('Image %s is %s, not %s' % (
                    image_id, image['status'], status))
            time.sleep(0.02)

    def _stop_computes(self):
        for compute in self.computes.values():
            compute.stop()

    # The API

    def router(self, router=OURS):
        """The :class:`APIFixture` of a router of this deployment."""
        if router not in self._routers:
            self._routers[router] = self.useFixture(APIFixture(router))
        return self._routers[router]

    def client(self, persona='project_member', microversion=None,
               router=OURS):
        """A client: by default at :attr:`microversion`, through ours."""
        if microversion is None:
            microversion = self.microversion
        return self.router(router).client(persona, microversion)

    @staticmethod
    def backup_body(name='nightly', backup_type='daily', rotation=2,
                    metadata=None):
        entity = {'name': name, 'backup_type': backup_type,
                  'rotation': rotation}
        if metadata is not None:
            entity['metadata'] = metadata
        return {'createBackup': entity}

    def create_backup(self, server_id, api=None, **entity):
        """POST createBackup; returns the ``requests`` response."""
        return (api or self.api).post_action(
            server_id, self.backup_body(**entity))

    # Servers

    def create_server(self, state='active', api=None):
        """Create a server of the test project, in a state.

        :param state: one of :data:`SERVER_STATES` but ``missing``
        :returns: the server as the API shows it
        """
        api = api or self.api
        image_id = nova_fixtures.GlanceFixture.image1['id']
        if state == 'volume_backed':
            body = self._build_server(image_uuid='', networks='none')
            body.pop('imageRef')
            body['block_device_mapping_v2'] = [{
                'source_type': 'image', 'destination_type': 'volume',
                'boot_index': 0, 'uuid': image_id, 'volume_size': 1}]
            server = api.post_server({'server': body})
            return self._wait_for_state_change(server, 'ACTIVE')
        server = self._create_server(image_uuid=image_id, networks='none',
                                     api=api)
        admin = self.admin_api
        actions = {
            'stopped': ({'os-stop': None}, 'SHUTOFF'),
            'paused': ({'pause': None}, 'PAUSED'),
            'suspended': ({'suspend': None}, 'SUSPENDED'),
            'shelved': ({'shelve': None}, 'SHELVED_OFFLOADED'),
            'locked': ({'lock': None}, 'ACTIVE'),
        }
        if state in actions:
            action, status = actions[state]
            admin.post_server_action(server['id'], action)
            server = self._wait_for_state_change(server, status)
        elif state == 'busy':
            self.set_task_state(server['id'], task_states.REBOOTING)
        elif state != 'active':
            raise ValueError('unknown server state %r' % state)
        return server

    def _instance(self, server_id):
        ctxt = nova_context.get_admin_context()
        mapping = objects.InstanceMapping.get_by_instance_uuid(
            ctxt, server_id)
        with nova_context.target_cell(ctxt, mapping.cell_mapping) as cctxt:
            return objects.Instance.get_by_uuid(cctxt, server_id)

    def set_task_state(self, server_id, task_state):
        """Mark a server busy, as an action in progress does."""
        instance = self._instance(server_id)
        instance.task_state = task_state
        instance.save()

    def task_state(self, server_id):
        return self._instance(server_id).task_state

    def vm_state(self, server_id):
        return self._instance(server_id).vm_state


#: The server states the tests create (``missing``: no such server).
SERVER_STATES = ('active', 'stopped', 'paused', 'suspended', 'shelved',
                 'locked', 'busy', 'volume_backed', 'missing')
