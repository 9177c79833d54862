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


"""The createBackup request and response schemas, case by case.

Every case is validated the way nova-api validates a request body: with
nova's own validator, so that nova's formats (``name``,
``name_with_leading_trailing_spaces``, ``uuid``) apply, and at 2.0 (the
``/v2`` endpoint) in nova's legacy mode, which drops unknown keys instead
of refusing them. The same cases run against nova's in-tree schemas: the
two must agree on every case except those of a declared deviation.
"""

import copy
import sys
import typing

import jsonschema
from nova.api.openstack import api_version_request
from nova.api.openstack.compute import create_backup as nova_controller
from nova.api.openstack.compute.schemas import create_backup as nova_schema
from nova.api import validation
from nova.api.validation import validators
from nova import exception
import testtools

from nova_createbackup_ext.api import create_backup as controller
from nova_createbackup_ext.api.schemas import create_backup as schema
from tests import release

ACCEPT = 'accept'
REFUSE = 'refuse'

# The release of nova under test, for what differs between releases.
NOVA_RELEASE = release.NOVA_RELEASE
# Metadata whose every key fails the key pattern, at 2.0: see the cases.
_ONLY_BAD_KEYS_AT_2_0 = ACCEPT if NOVA_RELEASE >= 33 else REFUSE

# The deliberate differences from nova's in-tree schemas. A case that
# names one of them expects nova's schema to answer the other way round.
DEVIATIONS = {
    'backup_type_max_length': (
        'backup_type is at most 255 characters long: Glance refuses a '
        'longer property value, and nova, which accepts any length, '
        'answers that refusal with HTTP 500.'),
    'rotation_string_is_a_number': (
        'a rotation string has at least one digit and no more than int() '
        'reads: nova\'s pattern also matches a lone newline and sets no '
        'length, and its controller answers such a rotation with 500.'),
}

# What the deviations change in the schemas, field by field.
_MAX_DIGITS = sys.get_int_max_str_digits()
DEVIATING_KEYWORDS = {
    'backup_type': {'maxLength': 255},
    'rotation': dict({'pattern': '^[0-9]+$'},
                     **({'maxLength': _MAX_DIGITS} if _MAX_DIGITS else {})),
}

_ABSENT = object()
_UUID = '2b1a5a39-63f5-46d9-8a8e-2a5f6a38d4b6'


def _body(**changes):
    """A createBackup body: a valid one, with the given keys changed.

    A key given the value ``_ABSENT`` is left out.
    """
    entity = {'name': 'nightly', 'backup_type': 'daily', 'rotation': 1}
    for key, value in changes.items():
        if value is _ABSENT:
            entity.pop(key, None)
        else:
            entity[key] = value
    return {'createBackup': entity}


class Case(typing.NamedTuple):
    """A request body and what each request schema makes of it."""

    name: str
    body: object
    at_2_0: str
    at_2_1: str
    deviation: str | None = None


REQUEST_CASES = [
    # A valid body, and its optional metadata.
    Case('minimal', _body(), ACCEPT, ACCEPT),
    Case('with_metadata', _body(metadata={'purpose': 'audit'}),
         ACCEPT, ACCEPT),
    Case('empty_metadata', _body(metadata={}), ACCEPT, ACCEPT),

    # name: 1 to 255 printable characters; spaces around it only at 2.0.
    Case('name_leading_space', _body(name=' nightly'), ACCEPT, REFUSE),
    Case('name_trailing_space', _body(name='nightly '), ACCEPT, REFUSE),
    Case('name_spaces_around', _body(name='  nightly  '), ACCEPT, REFUSE),
    Case('name_leading_no_break_space', _body(name='\u00a0nightly'),
         ACCEPT, REFUSE),
    Case('name_inner_space', _body(name='nightly backup'), ACCEPT, ACCEPT),
    Case('name_only_space', _body(name=' '), REFUSE, REFUSE),
    Case('name_only_spaces', _body(name='   '), REFUSE, REFUSE),
    Case('name_empty', _body(name=''), REFUSE, REFUSE),
    Case('name_255', _body(name='n' * 255), ACCEPT, ACCEPT),
    Case('name_256', _body(name='n' * 256), REFUSE, REFUSE),
    Case('name_255_and_a_space', _body(name='n' * 255 + ' '),
         REFUSE, REFUSE),
    Case('name_unicode', _body(name='sauvegarde n\u00b03 \u2603'),
         ACCEPT, ACCEPT),
    Case('name_tab_inside', _body(name='night\tly'), REFUSE, REFUSE),
    Case('name_newline_inside', _body(name='night\nly'), REFUSE, REFUSE),
    Case('name_control_character', _body(name='night\x01ly'),
         REFUSE, REFUSE),
    Case('name_zero_width_space', _body(name='night\u200bly'),
         REFUSE, REFUSE),
    Case('name_integer', _body(name=7), REFUSE, REFUSE),
    Case('name_null', _body(name=None), REFUSE, REFUSE),
    Case('name_list', _body(name=['nightly']), REFUSE, REFUSE),

    # backup_type: any string, at most 255 characters here.
    Case('backup_type_empty', _body(backup_type=''), ACCEPT, ACCEPT),
    Case('backup_type_with_spaces', _body(backup_type=' every day '),
         ACCEPT, ACCEPT),
    Case('backup_type_255', _body(backup_type='d' * 255), ACCEPT, ACCEPT),
    Case('backup_type_256', _body(backup_type='d' * 256), REFUSE, REFUSE,
         deviation='backup_type_max_length'),
    Case('backup_type_4096', _body(backup_type='d' * 4096), REFUSE, REFUSE,
         deviation='backup_type_max_length'),
    Case('backup_type_integer', _body(backup_type=1), REFUSE, REFUSE),
    Case('backup_type_null', _body(backup_type=None), REFUSE, REFUSE),
    Case('backup_type_object', _body(backup_type={}), REFUSE, REFUSE),

    # rotation: a non-negative integer, or a string of digits.
    Case('rotation_zero', _body(rotation=0), ACCEPT, ACCEPT),
    Case('rotation_huge', _body(rotation=10 ** 20), ACCEPT, ACCEPT),
    Case('rotation_string', _body(rotation='2'), ACCEPT, ACCEPT),
    Case('rotation_string_leading_zeros', _body(rotation='007'),
         ACCEPT, ACCEPT),
    # JSON Schema counts a number with a zero fraction as an integer.
    Case('rotation_integral_float', _body(rotation=2.0), ACCEPT, ACCEPT),
    Case('rotation_negative', _body(rotation=-1), REFUSE, REFUSE),
    Case('rotation_negative_string', _body(rotation='-1'), REFUSE, REFUSE),
    Case('rotation_float', _body(rotation=1.5), REFUSE, REFUSE),
    Case('rotation_float_string', _body(rotation='1.5'), REFUSE, REFUSE),
    Case('rotation_exponent_string', _body(rotation='1e3'), REFUSE, REFUSE),
    Case('rotation_empty_string', _body(rotation=''), REFUSE, REFUSE),
    Case('rotation_padded_string', _body(rotation=' 1'), REFUSE, REFUSE),
    # int() reads a final newline as white space.
    Case('rotation_digit_and_newline', _body(rotation='1\n'),
         ACCEPT, ACCEPT),
    Case('rotation_newline', _body(rotation='\n'), REFUSE, REFUSE,
         deviation='rotation_string_is_a_number'),
    Case('rotation_word', _body(rotation='two'), REFUSE, REFUSE),
    Case('rotation_as_many_digits_as_int_reads',
         _body(rotation='9' * (_MAX_DIGITS or 4300)), ACCEPT, ACCEPT),
    Case('rotation_boolean', _body(rotation=True), REFUSE, REFUSE),
    Case('rotation_null', _body(rotation=None), REFUSE, REFUSE),
    Case('rotation_list', _body(rotation=[1]), REFUSE, REFUSE),

    # metadata: keys of [a-zA-Z0-9-_:. ], values of strings, each 1-255.
    Case('metadata_key_all_allowed_characters',
         _body(metadata={'a-Z_0:9. x': 'v'}), ACCEPT, ACCEPT),
    Case('metadata_key_255', _body(metadata={'k' * 255: 'v'}),
         ACCEPT, ACCEPT),
    # At 2.0, nova's legacy mode from Nova 33 on lets a metadata object
    # through unchecked when none of its keys matches the key pattern: it
    # takes such an object for the other branch of a oneOf. A single bad
    # key beside a good one is refused. Nova 32 refuses every bad key.
    # The extension validates as the running nova does.
    Case('metadata_key_256', _body(metadata={'k' * 256: 'v'}),
         _ONLY_BAD_KEYS_AT_2_0, REFUSE),
    Case('metadata_key_empty', _body(metadata={'': 'v'}),
         _ONLY_BAD_KEYS_AT_2_0, REFUSE),
    Case('metadata_key_slash', _body(metadata={'a/b': 'v'}),
         _ONLY_BAD_KEYS_AT_2_0, REFUSE),
    Case('metadata_key_unicode', _body(metadata={'cl\u00e9': 'v'}),
         _ONLY_BAD_KEYS_AT_2_0, REFUSE),
    Case('metadata_key_newline', _body(metadata={'a\nb': 'v'}),
         _ONLY_BAD_KEYS_AT_2_0, REFUSE),
    Case('metadata_good_and_bad_key',
         _body(metadata={'good': 'v', 'a/b': 'v'}), REFUSE, REFUSE),
    Case('metadata_value_empty', _body(metadata={'k': ''}), ACCEPT, ACCEPT),
    Case('metadata_value_255', _body(metadata={'k': 'v' * 255}),
         ACCEPT, ACCEPT),
    Case('metadata_value_256', _body(metadata={'k': 'v' * 256}),
         REFUSE, REFUSE),
    Case('metadata_value_unicode', _body(metadata={'k': '\u2603'}),
         ACCEPT, ACCEPT),
    Case('metadata_value_integer', _body(metadata={'k': 1}),
         REFUSE, REFUSE),
    Case('metadata_value_null', _body(metadata={'k': None}),
         REFUSE, REFUSE),
    Case('metadata_value_object', _body(metadata={'k': {}}),
         REFUSE, REFUSE),
    Case('metadata_list', _body(metadata=[['k', 'v']]), REFUSE, REFUSE),
    Case('metadata_string', _body(metadata='k=v'), REFUSE, REFUSE),
    Case('metadata_null', _body(metadata=None), REFUSE, REFUSE),

    # Keys the schema does not know: refused from 2.1, dropped at 2.0.
    Case('unknown_key_in_action', _body(image_ref='x'), ACCEPT, REFUSE),
    Case('unknown_key_beside_action',
         dict(_body(), createImage={'name': 'x'}), ACCEPT, REFUSE),
    Case('only_unknown_keys', {'createbackup': _body()['createBackup']},
         REFUSE, REFUSE),

    # Missing keys and wrong shapes.
    Case('missing_name', _body(name=_ABSENT), REFUSE, REFUSE),
    Case('missing_backup_type', _body(backup_type=_ABSENT), REFUSE, REFUSE),
    Case('missing_rotation', _body(rotation=_ABSENT), REFUSE, REFUSE),
    Case('empty_action', {'createBackup': {}}, REFUSE, REFUSE),
    Case('empty_body', {}, REFUSE, REFUSE),
    Case('action_null', {'createBackup': None}, REFUSE, REFUSE),
    Case('action_list', {'createBackup': [_body()['createBackup']]},
         REFUSE, REFUSE),
    Case('action_string', {'createBackup': 'nightly'}, REFUSE, REFUSE),
    Case('body_list', [_body()], REFUSE, REFUSE),
    Case('body_null', None, REFUSE, REFUSE),
]
if _MAX_DIGITS:
    # Without a limit on int(), any number of digits is read.
    REQUEST_CASES.append(Case(
        'rotation_more_digits_than_int_reads',
        _body(rotation='9' * (_MAX_DIGITS + 1)), REFUSE, REFUSE,
        deviation='rotation_string_is_a_number'))


class ResponseCase(typing.NamedTuple):
    """A response body and what each response schema makes of it."""

    name: str
    body: object
    up_to_2_44: str
    from_2_45: str


RESPONSE_CASES = [
    ResponseCase('no_body', None, ACCEPT, REFUSE),
    ResponseCase('image_id', {'image_id': _UUID}, REFUSE, ACCEPT),
    ResponseCase('image_id_not_uuid', {'image_id': 'nightly'},
                 REFUSE, REFUSE),
    ResponseCase('image_id_null', {'image_id': None}, REFUSE, REFUSE),
    ResponseCase('image_id_and_more', {'image_id': _UUID, 'name': 'n'},
                 REFUSE, REFUSE),
    ResponseCase('empty_object', {}, REFUSE, REFUSE),
]

# Each version range: our schema, nova's, and whether nova validates it
# in its legacy mode (only the /v2 endpoint, 2.0, is).
REQUEST_SCHEMAS = {
    '2.0': (schema.create_backup_v20, nova_schema.create_backup_v20, True),
    '2.1': (schema.create_backup, nova_schema.create_backup, False),
}
RESPONSE_SCHEMAS = {
    '2.1-2.44': (schema.create_backup_response,
                 nova_schema.create_backup_response),
    '2.45-': (schema.create_backup_response_v245,
              nova_schema.create_backup_response_v245),
}


def _outcome(request_schema, body, legacy=False):
    # The validator may drop keys in legacy mode: give it a copy.
    validator = validators._SchemaValidator(
        request_schema, relax_additional_properties=legacy)
    try:
        validator.validate(copy.deepcopy(body))
    except exception.ValidationError:
        return REFUSE
    return ACCEPT


def _flip(outcome):
    return REFUSE if outcome == ACCEPT else ACCEPT


class _VersionedRequest:
    """What nova's schema selection reads of a request."""

    def __init__(self, version):
        self.api_version_request = api_version_request.APIVersionRequest(
            version)


class RequestSchemaTest(testtools.TestCase):

    def _check(self, version, expected_of):
        ours, _nova, legacy = REQUEST_SCHEMAS[version]
        wrong = ['%s: expected %s, got %s' % (case.name, expected_of(case),
                                              got)
                 for case in REQUEST_CASES
                 if (got := _outcome(ours, case.body, legacy)) !=
                 expected_of(case)]
        self.assertEqual([], wrong)

    def test_cases_at_2_0(self):
        self._check('2.0', lambda case: case.at_2_0)

    def test_cases_from_2_1(self):
        self._check('2.1', lambda case: case.at_2_1)

    def test_case_names_are_unique(self):
        names = [case.name for case in REQUEST_CASES]
        self.assertEqual(sorted(set(names)), sorted(names))

    def test_every_deviation_is_declared_and_has_a_case(self):
        used = {case.deviation for case in REQUEST_CASES if case.deviation}
        self.assertEqual(set(DEVIATIONS), used)

    def test_validation_leaves_the_valid_body_intact_at_2_0(self):
        # nova's legacy mode drops unknown keys from the body in place;
        # the keys the action needs stay as they were sent.
        body = dict(_body(metadata={'k': 'v'}), createImage={})
        body['createBackup']['image_ref'] = 'x'
        validators._SchemaValidator(
            schema.create_backup_v20,
            relax_additional_properties=True).validate(body)
        self.assertEqual(_body(metadata={'k': 'v'}), body)

    def test_refusal_names_the_field(self):
        error = self.assertRaises(
            exception.ValidationError,
            validators._SchemaValidator(schema.create_backup).validate,
            _body(rotation='-1'))
        self.assertIn('rotation', str(error))


class NovaParityTest(testtools.TestCase):
    """Our request schemas against nova's in-tree ones, case by case."""

    def _check(self, version, expected_of):
        _ours, nova, legacy = REQUEST_SCHEMAS[version]
        wrong = []
        for case in REQUEST_CASES:
            expected = expected_of(case)
            if case.deviation:
                expected = _flip(expected)
            got = _outcome(nova, case.body, legacy)
            if got != expected:
                wrong.append('%s: nova would %s, the table says %s' % (
                    case.name, got, expected))
        self.assertEqual([], wrong)

    def test_nova_at_2_0(self):
        self._check('2.0', lambda case: case.at_2_0)

    def test_nova_from_2_1(self):
        self._check('2.1', lambda case: case.at_2_1)

    def test_only_declared_deviations_in_the_schemas(self):
        # Apart from the declared deviations, the schemas are nova's.
        for version, (ours, nova, _legacy) in REQUEST_SCHEMAS.items():
            ours, nova = copy.deepcopy(ours), copy.deepcopy(nova)
            for field, keywords in DEVIATING_KEYWORDS.items():
                our_field = ours['properties']['createBackup'][
                    'properties'][field]
                nova_field = nova['properties']['createBackup'][
                    'properties'][field]
                for keyword, value in keywords.items():
                    self.assertEqual(value, our_field.pop(keyword),
                                     (version, field, keyword))
                    self.assertNotEqual(value, nova_field.pop(keyword, None))
            self.assertEqual(nova, ours, version)

    def test_responses_are_novas(self):
        for version, (ours, nova) in RESPONSE_SCHEMAS.items():
            self.assertEqual(nova, ours, version)


class SchemaSelectionTest(testtools.TestCase):
    """Which schema applies at which microversion, as nova selects it."""

    VERSIONS = ['2.0', '2.1', '2.38', '2.39', '2.44', '2.45',
                api_version_request.max_api_version().get_string()]

    def _selected(self, method, attribute, version):
        return getattr(method, attribute)(_VersionedRequest(version))

    def test_request_schema_by_version(self):
        ours = controller.CreateBackupController._create_backup
        nova = nova_controller.CreateBackupController._create_backup
        expected = {'2.0': 'create_backup_v20'}
        for version in self.VERSIONS:
            name = expected.get(version, 'create_backup')
            self.assertIs(getattr(schema, name), self._selected(
                ours, 'request_body_schemas', version), version)
            self.assertIs(getattr(nova_schema, name), self._selected(
                nova, 'request_body_schemas', version), version)

    def test_response_schema_by_version(self):
        ours = controller.CreateBackupController._create_backup
        for version in self.VERSIONS[1:]:
            name = ('create_backup_response_v245'
                    if api_version_request.APIVersionRequest(version) >=
                    api_version_request.APIVersionRequest('2.45')
                    else 'create_backup_response')
            self.assertIs(getattr(schema, name), self._selected(
                ours, 'response_body_schemas', version), version)


class ResponseSchemaTest(testtools.TestCase):

    def test_cases(self):
        columns = {'2.1-2.44': 'up_to_2_44', '2.45-': 'from_2_45'}
        wrong = []
        for version, (ours, _nova) in RESPONSE_SCHEMAS.items():
            for case in RESPONSE_CASES:
                expected = getattr(case, columns[version])
                got = _outcome(ours, case.body)
                if got != expected:
                    wrong.append('%s at %s: expected %s, got %s' % (
                        case.name, version, expected, got))
        self.assertEqual([], wrong)


class MetaschemaTest(testtools.TestCase):

    def test_every_schema_is_valid(self):
        # Every module-level schema, so that one added later is checked
        # without this test being told about it.
        schemas = {name: value for name, value in vars(schema).items()
                   if not name.startswith('_') and isinstance(value, dict)}
        self.assertGreaterEqual(len(schemas), 4)
        draft = validators._SchemaValidator.validator_org
        for name, value in schemas.items():
            draft.check_schema(value)
            # And nova's own rule for API schemas: every object that
            # lists properties says whether it allows others. Nova 32
            # has no such rule (it came with Nova 33).
            if NOVA_RELEASE >= 33:
                validation.Schemas._validate_schema(value)

    def test_an_invalid_schema_is_refused(self):
        # The checks above can fail.
        draft = validators._SchemaValidator.validator_org
        self.assertRaises(jsonschema.SchemaError, draft.check_schema,
                          {'type': 'object', 'maxProperties': -1})
        if NOVA_RELEASE < 33:
            self.skipTest('Nova 32 has no rule of its own for API schemas')
        self.assertRaises(RuntimeError, validation.Schemas._validate_schema,
                          {'type': 'object', 'properties': {}})
