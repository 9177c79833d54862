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

"""The same createBackup requests through Nova's router and through ours.

Each request is sent through both routers of one in-process deployment,
to two servers created alike, and the answers are compared: the status
code, the headers a client reads (``Location`` with its host and ids
masked, the content and version headers), the body with ids masked
(error messages included), the backup image that was made (its name,
status and properties, ids masked) and the server's task state after.

The cases are data (:data:`BODIES`, :data:`SERVER_STATES`,
:data:`PERSONAS`, :data:`MIXED`), each sent at every microversion of
:data:`fixtures.MICROVERSIONS` unless it says otherwise. The deliberate
differences are listed in :data:`DEVIATIONS`, each with the answer of
either router, and asserted as such: a deviation that disappears fails
the test as surely as a new difference does. The differences that need a
held or failing Glance (a race between two backups, Glance refusing the
image record) are in ``test_better_than_nova``.
"""

import dataclasses
import re

from oslo_utils.fixture import uuidsentinel
import testtools

from tests.functional import fixtures
from tests import release

# The release of nova under test, for what differs between releases.
NOVA_RELEASE = release.NOVA_RELEASE

_UUID = re.compile(
    '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')

# Nova's metadata quota during these tests, so that a body can exceed it.
METADATA_ITEMS = 3


def _backup(**entity):
    body = {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1}
    body.update(entity)
    return {'createBackup': {k: v for k, v in body.items()
                             if v is not _OMIT}}


_OMIT = object()

#: Request bodies, by name. A str is sent as it is, not as JSON.
BODIES = {
    'valid': _backup(),
    'rotation_zero': _backup(rotation=0),
    'rotation_large': _backup(rotation=1000),
    'rotation_as_string': _backup(rotation='2'),
    'metadata': _backup(metadata={'purpose': 'audit'}),
    'metadata_empty': _backup(metadata={}),
    'metadata_at_quota': _backup(metadata={
        'k%d' % i: 'v' for i in range(METADATA_ITEMS)}),
    'metadata_over_quota': _backup(metadata={
        'k%d' % i: 'v' for i in range(METADATA_ITEMS + 1)}),
    'metadata_value_255': _backup(metadata={'k': 'v' * 255}),
    'padded_name': _backup(name='  padded  '),
    'blank_name': _backup(name='   '),
    'unicode_name': _backup(name='sauvegarde \u00e9t\u00e9 \u2603'),
    'name_255': _backup(name='n' * 255),
    'empty_backup_type': _backup(backup_type=''),
    'backup_type_255': _backup(backup_type='d' * 255),
    'extra_key': _backup(extra='x'),
    'missing_name': _backup(name=_OMIT),
    'missing_backup_type': _backup(backup_type=_OMIT),
    'missing_rotation': _backup(rotation=_OMIT),
    'empty_name': _backup(name=''),
    'name_256': _backup(name='n' * 256),
    'negative_rotation': _backup(rotation=-1),
    'rotation_not_a_number': _backup(rotation='two'),
    'rotation_float': _backup(rotation=1.5),
    'rotation_null': _backup(rotation=None),
    'backup_type_not_a_string': _backup(backup_type=7),
    'metadata_not_an_object': _backup(metadata='purpose=audit'),
    'metadata_value_not_a_string': _backup(metadata={'k': 1}),
    'metadata_key_256': _backup(metadata={'k' * 256: 'v'}),
    'metadata_value_256': _backup(metadata={'k': 'v' * 256}),
    'metadata_empty_key': _backup(metadata={'': 'v'}),
    'entity_null': {'createBackup': None},
    'entity_list': {'createBackup': []},
    'empty_entity': {'createBackup': {}},
    'not_json': '{"createBackup": {',
    # The deviations (see DEVIATIONS).
    'backup_type_256': _backup(backup_type='d' * 256),
    'reserved_instance_uuid': _backup(metadata={'instance_uuid': 'x'}),
    'reserved_image_type': _backup(metadata={'image_type': 'snapshot'}),
    'reserved_backup_type': _backup(metadata={'backup_type': 'weekly'}),
    'reserved_user_id': _backup(metadata={'user_id': 'x'}),
    'reserved_base_image_ref': _backup(metadata={'base_image_ref': 'x'}),
    'reserved_instance_owner': _backup(metadata={'instance_owner': 'x'}),
    'reserved_location': _backup(metadata={'location': 'http://x/y'}),
    'reserved_mappings': _backup(metadata={'mappings': '[]'}),
    'reserved_block_device_mapping': _backup(metadata={
        'block_device_mapping': '[]'}),
    'reserved_kernel_id': _backup(metadata={'kernel_id': 'x'}),
    'reserved_ramdisk_id': _backup(metadata={'ramdisk_id': 'x'}),
    'reserved_deleted': _backup(metadata={'deleted': 'False'}),
    'reserved_deleted_at': _backup(metadata={'deleted_at': 'x'}),
    'reserved_spelt_otherwise': _backup(metadata={'Instance_UUID ': 'x'}),
    # At 2.0 Nova's schema checks no key that the key pattern does not
    # match, nor its value, when every key is such.
    'metadata_legacy_value_null': _backup(metadata={'a/b': None}),
    'metadata_legacy_value_int': _backup(metadata={'a/b': 1}),
    'metadata_legacy_value_object': _backup(metadata={'a/b': {'c': 'd'}}),
    'metadata_legacy_value_256': _backup(metadata={'a/b': 'v' * 256}),
    'attribute_name': _backup(metadata={'name': 'renamed'}),
    'attribute_visibility': _backup(metadata={'visibility': 'community'}),
    'attribute_owner': _backup(metadata={
        'owner': fixtures.OTHER_PROJECT_ID}),
    'attribute_status': _backup(metadata={'status': 'active'}),
    'attribute_min_disk': _backup(metadata={'min_disk': '5'}),
    'rotation_newline': _backup(rotation='\n'),
    'rotation_too_many_digits': _backup(rotation='1' * 4301),
}


@dataclasses.dataclass(frozen=True)
class Deviation:
    """A documented difference: the status each router answers."""

    ours: int
    stock: int
    why: str
    #: Where the difference shows; None: at every microversion.
    microversions: tuple[str, ...] | None = None

    def applies(self, microversion):
        return self.microversions is None or (
            microversion in self.microversions)


_RESERVED = Deviation(
    ours=400, stock=202,
    why="Nova applies the metadata over the properties it writes to "
        "attribute and rotate the backup; the extension refuses the key.")

_LEGACY_VALUE = Deviation(
    ours=400, stock=202,
    microversions=('2.0',) if NOVA_RELEASE >= 33 else (),
    why="At 2.0 Nova's schema (from Nova 33 on: Nova 32 refuses it with "
        "400, as here) skips the metadata when none of its keys "
        "matches the key pattern, so a value that is no string of at "
        "most 255 characters reaches the image; the extension refuses "
        "it, as its schema does from 2.1.")

#: Every deliberate difference from Nova's answers, by body name.
DEVIATIONS = {
    'backup_type_256': Deviation(
        ours=400, stock=202,
        why="The extension's schema limits backup_type to 255 "
            "characters, as image property names and Nova's metadata "
            "values are; Nova accepts any length."),
    'metadata_key_256': Deviation(
        ours=400, stock=500,
        microversions=('2.0',) if NOVA_RELEASE >= 33 else (),
        why="At 2.0 Nova's schema lets any metadata key through (from "
            "Nova 33 on: Nova 32 refuses it with 400, as here); Glance "
            "refuses a property name of more than 255 characters with "
            "400, which Nova answers with 500 and the extension passes "
            "on as 400."),
    'attribute_name': Deviation(
        ours=400, stock=202,
        why="Nova sends the metadata to Glance beside the image's "
            "attributes, so a key named like an attribute sets it: here "
            "the backup is renamed."),
    'attribute_visibility': Deviation(
        ours=400, stock=202,
        why="As attribute_name: the backup becomes visible to every "
            "project."),
    'attribute_owner': Deviation(
        ours=400, stock=403,
        why="As attribute_name: Glance refuses to give the image to "
            "another project, and Nova passes its 403 on."),
    'attribute_status': Deviation(
        ours=400, stock=403,
        why="As attribute_name: Glance refuses to set a read-only "
            "attribute, and Nova passes its 403 on."),
    'attribute_min_disk': Deviation(
        ours=400, stock=500,
        why="As attribute_name: Glance refuses a string where the "
            "attribute is a number, and Nova answers 500."),
    'rotation_newline': Deviation(
        ours=400, stock=500,
        why="Nova's pattern for a rotation string matches a lone "
            "newline, which its controller cannot read as a number."),
    'rotation_too_many_digits': Deviation(
        ours=400, stock=500,
        why="Nova's pattern sets no length, and Python does not read a "
            "number of more than 4300 digits from a string."),
    'reserved_instance_uuid': _RESERVED,
    'reserved_image_type': _RESERVED,
    'reserved_backup_type': _RESERVED,
    'reserved_user_id': _RESERVED,
    'reserved_base_image_ref': _RESERVED,
    'reserved_instance_owner': _RESERVED,
    'reserved_location': Deviation(
        ours=400, stock=403,
        why="Nova's Glance client registers a location given as a "
            "property; Glance refuses to set it, and Nova passes its 403 "
            "on. The extension refuses the key."),
    'reserved_mappings': Deviation(
        ours=400, stock=202,
        why="Nova's Glance client encodes and decodes this property as "
            "JSON; the extension refuses the key."),
    'reserved_block_device_mapping': Deviation(
        ours=400, stock=202,
        why="As reserved_mappings."),
    'reserved_kernel_id': Deviation(
        ours=400, stock=202,
        why="Glance's schema wants an image id here; the extension "
            "refuses the key."),
    'reserved_ramdisk_id': Deviation(
        ours=400, stock=202,
        why="As reserved_kernel_id."),
    'reserved_deleted': Deviation(
        ours=400, stock=403,
        why="A deletion marker: Glance refuses to set it, and Nova passes "
            "its 403 on. The extension refuses the key."),
    'reserved_deleted_at': Deviation(
        ours=400, stock=403,
        why="As reserved_deleted."),
    'reserved_spelt_otherwise': Deviation(
        ours=400, stock=202,
        why="A reserved key in other case or with spaces around it names "
            "the same property where Glance compares names without "
            "regard to case; the extension refuses it."),
    'metadata_legacy_value_null': _LEGACY_VALUE,
    'metadata_legacy_value_int': _LEGACY_VALUE,
    'metadata_legacy_value_object': _LEGACY_VALUE,
    'metadata_legacy_value_256': _LEGACY_VALUE,
}

#: Server states, each with the bodies sent to a server in it.
SERVER_STATES = {state: ('valid', 'rotation_zero', 'missing_rotation')
                 for state in fixtures.SERVER_STATES}

#: Callers, each sending these bodies to an active server of the project.
PERSONAS = {persona: ('valid', 'missing_name')
            for persona in fixtures.PERSONAS}

# The microversions of the mixed cases: the legacy endpoint, one from
# each side of the quota change, and the newest.
_SOME = ('2.0', '2.38', '2.39', 'latest')


@dataclasses.dataclass(frozen=True)
class Case:
    """One request: what is sent, by whom, to a server in which state."""

    body: str
    state: str = 'active'
    persona: str = 'project_member'
    microversions: tuple[str, ...] = fixtures.MICROVERSIONS
    #: The difference expected: by default the one DEVIATIONS lists for
    #: the body; None where the two routers answer alike.
    deviation: Deviation | str | None = 'listed'

    def expected_deviation(self, microversion):
        deviation = self.deviation
        if deviation == 'listed':
            deviation = DEVIATIONS.get(self.body)
        if deviation is not None and deviation.applies(microversion):
            return deviation
        return None


#: Persona and state together, where the order of Nova's checks shows.
MIXED = (
    Case('valid', 'shelved', 'project_reader', _SOME),
    Case('valid', 'shelved', 'other_project_member', _SOME),
    Case('valid', 'busy', 'project_admin', _SOME),
    Case('valid', 'volume_backed', 'project_reader', _SOME),
    Case('valid', 'missing', 'project_reader', _SOME),
    Case('valid', 'locked', 'other_project_admin', _SOME),
    Case('missing_name', 'shelved', 'project_member', _SOME),
    Case('missing_name', 'missing', 'other_project_member', _SOME),
    Case('reserved_user_id', 'shelved', 'project_member', _SOME,
         deviation=Deviation(
             ours=400, stock=409,
             why="The extension refuses the metadata before Nova looks "
                 "at the server's state.")),
    # Policy is checked first by both.
    Case('reserved_user_id', 'active', 'project_reader', _SOME,
         deviation=None),
    Case('backup_type_256', 'active', 'other_project_member', _SOME,
         deviation=Deviation(
             ours=400, stock=404,
             why="The extension's schema refuses the body before the "
                 "server is looked up; Nova's accepts it and finds no "
                 "server of the caller's project.")),
    Case('metadata_over_quota', 'active', 'project_reader',
         ('2.1', '2.38', '2.39')),
    Case('metadata_over_quota', 'shelved', 'project_member',
         ('2.1', '2.38', '2.39')),
)

# The headers compared, besides Location.
_HEADERS = ('Content-Type', 'OpenStack-API-Version',
            'X-OpenStack-Nova-API-Version', 'Vary')


def _mask_message(message):
    # A schema refusal names the field, then quotes the schema; the
    # extension's schema differs from Nova's where DEVIATIONS says so.
    return _SCHEMA_REFUSAL.sub(r'\1 <schema detail>', message)


_SCHEMA_REFUSAL = re.compile(
    r'^(Invalid input for field/attribute \S+\.) .*$', re.DOTALL)


def _mask(value, names):
    """Replace ids and host names in a decoded answer with placeholders."""
    if isinstance(value, dict):
        return {key: _mask(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, names) for item in value]
    if isinstance(value, str):
        for text, name in names.items():
            value = value.replace(text, name)
        return _UUID.sub('<uuid>', value)
    return value


class ParityTest(fixtures.CreateBackupTestCase):
    """Nova's router and ours answer the cases alike, deviations aside."""

    def setUp(self):
        super().setUp()
        self.flags(metadata_items=METADATA_ITEMS, group='quota')
        self._servers = {}

    def _server(self, router, state):
        """The server of a router in a state, created on first use."""
        key = (router, state)
        if key not in self._servers:
            if state == 'missing':
                self._servers[key] = {'id': uuidsentinel.missing}
            else:
                self._servers[key] = self.create_server(state)
        return self._servers[key]

    def _observe(self, router, case, microversion):
        server_id = self._server(router, case.state)['id']
        api = self.client(case.persona, microversion, router)
        names = {self.router(router).host: '<host>',
                 server_id: '<server>'}
        before = set(self.glance.images)
        body = BODIES[case.body]
        if isinstance(body, str):
            resp = api.post_action(server_id, None, raw_body=body)
        else:
            resp = api.post_action(server_id, body)

        seen = {'status': resp.status_code}
        for header in _HEADERS:
            seen[header] = resp.headers.get(header)
        seen['Location'] = _mask(resp.headers.get('Location'), names)
        seen['body'] = _mask(resp.json(), names) if resp.content else None
        for fault in (seen['body'] or {}).values():
            if isinstance(fault, dict) and 'message' in fault:
                fault['message'] = _mask_message(fault['message'])
        made = [self.glance.show(None, image_id)
                for image_id in set(self.glance.images) - before]
        seen['images'] = [_mask({
            'name': image['name'],
            'status': image['status'],
            'visibility': image.get('visibility'),
            'properties': image['properties'],
        }, names) for image in made]
        if case.state != 'missing':
            seen['task_state'] = self.task_state(server_id)

        # The id a client is given is the image made, in both routers.
        image_id = None
        if 'Location' in resp.headers:
            image_id = resp.headers['Location'].rsplit('/', 1)[1]
        elif resp.status_code == 202 and resp.content:
            image_id = resp.json()['image_id']
        if image_id is not None and made:
            self.assertIn(image_id, [image['id'] for image in made])
        return seen

    def _compare(self, cases):
        differences = []
        compared = 0
        for case in cases:
            for microversion in case.microversions:
                where = '%s at %s' % (case, microversion)
                stock = self._observe(fixtures.STOCK, case, microversion)
                ours = self._observe(fixtures.OURS, case, microversion)
                compared += 1
                deviation = case.expected_deviation(microversion)
                if deviation is None:
                    if ours != stock:
                        differences.append('%s:\n  stock %s\n  ours  %s' % (
                            where, stock, ours))
                    elif ours['status'] >= 500:
                        differences.append('%s: both answer %s' % (
                            where, ours['status']))
                elif (stock['status'], ours['status']) != (
                        deviation.stock, deviation.ours):
                    differences.append(
                        '%s: deviation expected stock %s ours %s, got '
                        'stock %s ours %s' % (
                            where, deviation.stock, deviation.ours,
                            stock['status'], ours['status']))
                elif deviation.ours >= 400 and ours['images']:
                    differences.append('%s: refused, but an image was '
                                       'made: %s' % (where, ours['images']))
        self.assertEqual([], differences)
        self.assertEqual(
            sum(len(case.microversions) for case in cases), compared)

    def _bodies_at(self, microversion):
        self._compare([Case(body, microversions=(microversion,))
                       for body in BODIES])

    def test_bodies_at_2_0(self):
        self._bodies_at('2.0')

    def test_bodies_at_2_1(self):
        self._bodies_at('2.1')

    def test_bodies_at_2_38(self):
        self._bodies_at('2.38')

    def test_bodies_at_2_39(self):
        self._bodies_at('2.39')

    def test_bodies_at_2_44(self):
        self._bodies_at('2.44')

    def test_bodies_at_2_45(self):
        self._bodies_at('2.45')

    def test_bodies_at_latest(self):
        self._bodies_at('latest')

    def _state(self, state):
        self._compare([Case(body, state)
                       for body in SERVER_STATES[state]])

    def test_state_active(self):
        self._state('active')

    def test_state_stopped(self):
        self._state('stopped')

    def test_state_paused(self):
        self._state('paused')

    def test_state_suspended(self):
        self._state('suspended')

    def test_state_shelved(self):
        self._state('shelved')

    def test_state_locked(self):
        self._state('locked')

    def test_state_busy(self):
        self._state('busy')

    def test_state_volume_backed(self):
        self._state('volume_backed')

    def test_state_missing(self):
        self._state('missing')

    def test_personas(self):
        self._compare([Case(body, persona=persona)
                       for persona, bodies in PERSONAS.items()
                       for body in bodies])

    def test_mixed(self):
        self._compare(MIXED)


class CasesTest(testtools.TestCase):
    """The case lists are consistent."""

    def test_every_case_is_sent(self):
        # The deviations and the states and personas of the matrix are
        # all among the cases, so none is listed and never sent.
        self.assertLessEqual(set(DEVIATIONS), set(BODIES))
        self.assertEqual(set(fixtures.SERVER_STATES), set(SERVER_STATES))
        self.assertEqual(set(fixtures.PERSONAS), set(PERSONAS))
        for case in MIXED:
            self.assertIn(case.body, BODIES)
