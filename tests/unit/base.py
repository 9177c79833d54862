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


"""Test case bases for tests that build nova's router."""

from nova.compute import rpcapi as compute_rpcapi
from nova import conf as nova_conf
from nova.tests import fixtures as nova_fixtures
import testtools

CONF = nova_conf.CONF


class RouterTestCase(testtools.TestCase):
    """Just what building and calling nova's API router needs.

    nova's ``test.NoDBTestCase`` sets up far more (a fake policy parsed
    from YAML for every test is most of its cost); the tests of the
    loader touch neither policy nor the database, so they take only
    nova's configuration, its message bus fixture and its log capture,
    and the database is poisoned so that nothing reaches for it.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.ConfFixture(CONF))
        self.useFixture(nova_fixtures.RPCFixture('nova.test'))
        self.stdlog = self.useFixture(nova_fixtures.StandardLogging())
        self.useFixture(nova_fixtures.DatabasePoisonFixture())
        # The compute RPC API's client router is global: start and end
        # without one.
        compute_rpcapi.reset_globals()
        self.addCleanup(compute_rpcapi.reset_globals)
