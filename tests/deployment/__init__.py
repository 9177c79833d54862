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

"""Tests against a running deployment of the extension.

They run against the single-node deployment of tools/stack.sh, found
through its ``deployment.json`` (``$CREATEBACKUP_DEPLOYMENT``, or the
one in ``$CREATEBACKUP_STATE/stack/``), and skip when there is none::

    stestr --test-path=./tests/deployment --top-dir=./ run --serial

tools/run-deployment-tests.sh runs them with the deployment's venv.
"""
