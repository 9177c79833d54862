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


"""Unit tests of nova-createbackup-ext.

The tests run on nova's own test base classes, which expect eventlet to
be patched in before anything else is imported, and nova's versioned
objects to be registered, as nova's own unit test package does.
"""

from nova import monkey_patch

monkey_patch.patch()

from nova import objects  # noqa: E402

objects.register_all()
