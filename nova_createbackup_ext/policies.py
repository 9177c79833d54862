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

"""Policy rules of the createBackup extension.

The action itself stays under Nova's own rule name,
``os_compute_api:os-create-backup``, with Nova's default: an operator's
existing override in policy.yaml keeps deciding who may back up a server,
with no change. The extension registers that rule only where the running
Nova does not already register it, so the two never disagree.

The powers that the extension adds have rules of their own, in the
``nova_createbackup_ext:`` namespace.
"""

from nova.policies import base
import nova.policy
from oslo_policy import policy

BASE_POLICY_NAME = 'os_compute_api:os-create-backup'
EXCEED_MAX_ROTATION = 'nova_createbackup_ext:exceed_max_rotation'
SKIP_QUOTA_PRECHECK = 'nova_createbackup_ext:skip_quota_precheck'

_ACTION = [
    {
        'method': 'POST',
        'path': '/servers/{server_id}/action (createBackup)',
    },
]

rules = [
    policy.DocumentedRuleDefault(
        name=BASE_POLICY_NAME,
        check_str=base.PROJECT_MEMBER_OR_ADMIN,
        description='Create a backup of a server.',
        operations=_ACTION,
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=EXCEED_MAX_ROTATION,
        check_str=base.ADMIN,
        description=(
            'Ask for a rotation above [create_backup] max_rotation when '
            'creating a backup of a server. Has no effect while that '
            'option is unset.'),
        operations=_ACTION,
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=SKIP_QUOTA_PRECHECK,
        check_str=base.ADMIN,
        description=(
            'Create a backup of a server without the check of the '
            'project\'s Glance quota made beforehand (Glance still '
            'enforces its limits when the image is created and the '
            'snapshot uploaded). Only requests at microversion 2.39 or '
            'later are checked, and none while [create_backup] '
            'glance_quota_precheck is off.'),
        operations=_ACTION,
        scope_types=['project']),
]


def list_rules():
    """Return the rules for the oslo.policy generators."""
    return rules


def _enforcer():
    nova.policy.init()
    # NOTE(cbext): nova.policy has no public accessor that leaves the
    # configuration alone (get_enforcer() parses the command line again),
    # so the module's enforcer is read directly, right after init().
    return nova.policy._ENFORCER


def register_rules():
    """Register, on Nova's enforcer, the rules that it does not know yet.

    Nova's enforcer is replaced whenever nova.policy is reset (its tests do
    it between cases), so this is called before each check: it costs a dict
    look-up per rule once the rules are there.
    """
    enforcer = _enforcer()
    missing = [rule for rule in rules
               if rule.name not in enforcer.registered_rules]
    if missing:
        enforcer.register_defaults(missing)


def authorize(context, rule, target, fatal=True):
    """Check a rule of this module for a request's context.

    :param context: the request's nova.context.RequestContext
    :param rule: one of the rule names of this module
    :param target: the target of the check, such as the server's project
    :param fatal: raise nova.exception.PolicyNotAuthorized when refused
    :returns: whether the rule allows the caller
    """
    register_rules()
    return context.can(rule, target=target, fatal=fatal)
