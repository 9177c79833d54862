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

"""nova-compute with the test deployment's fake virt driver loadable.

Run ``python -m nova_createbackup_ext.testing.fake_compute`` with the
arguments of nova-compute.
"""

# NOTE(cbext): nova.cmd.compute sets up Nova's concurrency backend when
# it is imported, which must happen before anything else of Nova loads.
from nova.cmd import compute  # noqa: I100

import sys

from nova import virt

from nova_createbackup_ext.testing import fake_virt

ALIAS = 'createbackup_fake'


def main():
    """Run nova-compute with fake_virt importable under nova.virt."""
    # NOTE(cbext): nova.virt.driver.load_compute_driver() imports
    # 'nova.virt.<compute_driver>' and nothing else, so a driver outside
    # Nova's tree cannot be named directly. Registering the module under
    # an alias in sys.modules before nova-compute starts is the smallest
    # way in: no file is added to Nova's installed tree, and only a
    # process started through here can load the driver.
    sys.modules['nova.virt.' + ALIAS] = fake_virt
    setattr(virt, ALIAS, fake_virt)
    return compute.main()


if __name__ == '__main__':
    sys.exit(main())
