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

"""In-process functional tests: Nova's services with the extension.

Nova's functional tests choose their concurrency backend before anything
else is imported (eventlet, unless the environment asks for native
threads); these tests run Nova's code in the same way, so the choice is
made here, first.
"""

from nova import monkey_patch

monkey_patch.patch()
