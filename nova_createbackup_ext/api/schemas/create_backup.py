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

"""Schemas of the createBackup action, one for each microversion range.

The request schemas accept what Nova's in-tree controller accepts, with
two deliberate differences:

* ``backup_type`` is at most 255 characters long, the limit the API
  reference gives for metadata values, which end up beside it as image
  properties. Nova accepts any length, but the type is sent again in the
  query string of Glance's image list when the compute service rotates
  the backups, and a type long enough to break that request leaves the
  backup made and its rotation silently undone.
* ``rotation`` given as a string must be a whole number that Python can
  convert: Nova's pattern lets a lone newline through, and a string of
  more digits than Python converts, and then answers 500.
"""

import copy
import sys

from nova.api.validation import parameter_types

# Nova's non-negative integer, as strings that int() reads (see above).
_rotation = dict(parameter_types.non_negative_integer, pattern='^[0-9]+$')
if sys.get_int_max_str_digits():
    _rotation['maxLength'] = sys.get_int_max_str_digits()

# The request from microversion 2.1 on.
create_backup = {
    'type': 'object',
    'properties': {
        'createBackup': {
            'type': 'object',
            'properties': {
                'name': parameter_types.name,
                'backup_type': {
                    'type': 'string',
                    'maxLength': 255,
                },
                'rotation': _rotation,
                'metadata': parameter_types.metadata,
            },
            'required': ['name', 'backup_type', 'rotation'],
            'additionalProperties': False,
        },
    },
    'required': ['createBackup'],
    'additionalProperties': False,
}

# The request at 2.0 (the /v2 endpoint), where a name may begin or end
# with spaces; they are stripped before the image is named.
create_backup_v20 = copy.deepcopy(create_backup)
create_backup_v20['properties']['createBackup']['properties']['name'] = (
    parameter_types.name_with_leading_trailing_spaces)

# The response from 2.1 to 2.44: no body, the image in a Location header.
create_backup_response = {
    'type': 'null',
}

# The response from 2.45 on: the image's id in the body, no Location.
create_backup_response_v245 = {
    'type': 'object',
    'properties': {
        'image_id': {'type': 'string', 'format': 'uuid'},
    },
    'required': ['image_id'],
    'additionalProperties': False,
}
