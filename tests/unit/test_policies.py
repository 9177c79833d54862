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


"""Who may do what under the shipped policy defaults, as in a deployment.

nova's enforcer loads the real defaults (nova's own and the extension's)
with ``[oslo_policy] enforce_new_defaults`` and ``enforce_scope`` on.
For every rule, each persona is either allowed or refused, and both sides
are asserted.
"""

from nova import context as nova_context
from nova import exception
from nova.policies import create_backup as nova_create_backup
import nova.policy
from nova import test
from nova.tests import fixtures as nova_fixtures
from oslo_utils.fixture import uuidsentinel as uuids

from nova_createbackup_ext import policies
from tests.unit import fakes

PROJECT = uuids.project
OTHER_PROJECT = uuids.other_project

# The personas of nova's policy tests, by name: roles, project, scope.
PERSONAS = {
    'project_admin': (['admin', 'manager', 'member', 'reader'], PROJECT),
    'project_manager': (['manager', 'member', 'reader'], PROJECT),
    'project_member': (['member', 'reader'], PROJECT),
    'project_reader': (['reader'], PROJECT),
    'project_other_role': (['foo'], PROJECT),
    'project_no_roles': ([], PROJECT),
    'other_project_admin': (['admin', 'manager', 'member', 'reader'],
                            OTHER_PROJECT),
    'other_project_member': (['member', 'reader'], OTHER_PROJECT),
    'other_project_reader': (['reader'], OTHER_PROJECT),
    'system_admin': (['admin', 'manager', 'member', 'reader'], 'system'),
    'system_reader': (['reader'], 'system'),
    'service': (['service'], uuids.service_project),
}

# Who each rule allows, on a server of PROJECT; everyone else is refused.
# An admin of any project passes nova's context_is_admin; a system-scoped
# token does not match the rules' project scope.
ALLOWED = {
    policies.BASE_POLICY_NAME: {
        'project_admin', 'project_manager', 'project_member',
        'other_project_admin'},
    policies.EXCEED_MAX_ROTATION: {'project_admin', 'other_project_admin'},
    policies.SKIP_QUOTA_PRECHECK: {'project_admin', 'other_project_admin'},
}


def _context(persona):
    roles, project = PERSONAS[persona]
    if project == 'system':
        return nova_context.RequestContext(
            user_id=persona, roles=roles, system_scope='all')
    return nova_context.RequestContext(
        user_id=persona, project_id=project, roles=roles)


class _PolicyTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        # As a deployment runs: no deprecated rules, scope enforced.
        self.flags(enforce_new_defaults=True, group='oslo_policy')
        # NOTE(cbext): oslo.policy 6 removed [oslo_policy] enforce_scope
        # and always enforces scope; older releases still have the option.
        if 'enforce_scope' in nova.policy.CONF.oslo_policy:
            self.flags(enforce_scope=True, group='oslo_policy')
        self.use_policy()

    def use_policy(self):
        self.useFixture(nova_fixtures.RealPolicyFixture())

    def assertAllowed(self, rule, persona):
        self.assertTrue(
            policies.authorize(_context(persona), rule,
                               {'project_id': PROJECT}),
            '%s should be allowed %s' % (persona, rule))

    def assertRefused(self, rule, persona):
        context = _context(persona)
        target = {'project_id': PROJECT}
        error = self.assertRaises(exception.PolicyNotAuthorized,
                                  policies.authorize, context, rule, target)
        self.assertIn(rule, str(error))
        # Without fatal, the refusal is a plain False.
        self.assertFalse(policies.authorize(context, rule, target,
                                            fatal=False))

    def check_matrix(self, allowed):
        for rule, who in sorted(allowed.items()):
            self.assertLessEqual(who, set(PERSONAS))
            for persona in sorted(PERSONAS):
                if persona in who:
                    self.assertAllowed(rule, persona)
                else:
                    self.assertRefused(rule, persona)


class ShippedDefaultsTest(_PolicyTestCase):

    def test_every_rule_is_in_the_matrix(self):
        self.assertEqual(set(ALLOWED),
                         {rule.name for rule in policies.list_rules()})

    def test_matrix(self):
        self.check_matrix(ALLOWED)

    def test_the_config_is_as_in_a_deployment(self):
        oslo_policy = nova.policy.CONF.oslo_policy
        self.assertTrue(oslo_policy.enforce_new_defaults)
        self.assertTrue(getattr(oslo_policy, 'enforce_scope', True))

    def test_base_rule_default_is_novas(self):
        ours = {rule.name: rule for rule in policies.list_rules()}[
            policies.BASE_POLICY_NAME]
        novas = {rule.name: rule
                 for rule in nova_create_backup.list_rules()}[
            policies.BASE_POLICY_NAME]
        self.assertEqual(novas.check_str, ours.check_str)
        self.assertEqual(novas.scope_types, ours.scope_types)
        self.assertEqual(novas.operations, ours.operations)

    def test_base_rule_stays_novas_on_the_enforcer(self):
        # nova registers the rule itself; registering the extension's
        # rules leaves nova's in place (its description differs from
        # ours), and doing it again is harmless.
        policies.register_rules()
        policies.register_rules()
        registered = nova.policy._ENFORCER.registered_rules
        novas = nova_create_backup.list_rules()[0]
        self.assertEqual(novas.description,
                         registered[policies.BASE_POLICY_NAME].description)
        for rule in policies.list_rules()[1:]:
            self.assertEqual(rule.check_str,
                             registered[rule.name].check_str)

    def test_rules_are_registered_again_after_a_reset(self):
        # nova.policy.reset() throws the enforcer away, and with it the
        # extension's rules; the next check registers them again.
        self.assertAllowed(policies.EXCEED_MAX_ROTATION, 'project_admin')
        nova.policy.reset()
        self.assertAllowed(policies.EXCEED_MAX_ROTATION, 'project_admin')
        self.assertRefused(policies.EXCEED_MAX_ROTATION, 'project_member')


class OperatorOverrideTest(_PolicyTestCase):
    """An operator's policy.yaml decides, for nova's name and for ours."""

    RULES = {
        # Only administrators may back up servers...
        policies.BASE_POLICY_NAME: 'role:admin',
        # ...and the members of a project may ask for any rotation.
        policies.EXCEED_MAX_ROTATION: 'rule:project_member_api',
    }

    def use_policy(self):
        self.useFixture(fakes.PolicyFile(self.RULES))

    def test_matrix(self):
        self.check_matrix({
            policies.BASE_POLICY_NAME: {
                'project_admin', 'other_project_admin'},
            policies.EXCEED_MAX_ROTATION: {
                'project_admin', 'project_manager', 'project_member'},
            # Not overridden: still the default.
            policies.SKIP_QUOTA_PRECHECK: ALLOWED[
                policies.SKIP_QUOTA_PRECHECK],
        })


class ReaderOverrideTest(OperatorOverrideTest):
    """An override may also widen the rule: readers may back up."""

    RULES = {policies.BASE_POLICY_NAME: 'rule:project_reader_api'}

    def test_matrix(self):
        self.check_matrix({
            policies.BASE_POLICY_NAME: {
                'project_admin', 'project_manager', 'project_member',
                'project_reader'},
            policies.EXCEED_MAX_ROTATION: ALLOWED[
                policies.EXCEED_MAX_ROTATION],
        })
