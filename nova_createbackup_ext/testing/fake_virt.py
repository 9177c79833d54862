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

"""A fake virt driver whose snapshots upload bytes, for test deployments.

Nova's ``FakeDriver.snapshot`` uploads nothing, so a backup taken on it
stays ``queued`` in Glance and is never a finished image. The driver
here uploads a small payload through Nova's image API, as a hypervisor
driver uploads the guest's disk, so the backup becomes ``active`` and
Nova's rotation deals with it as in production.

Nova loads ``compute_driver`` only from modules under ``nova.virt``: run
nova-compute through :mod:`.fake_compute`, which makes this module
importable there, with::

    [DEFAULT]
    compute_driver = createbackup_fake.PayloadFakeDriver
"""

import io

from nova.compute import task_states
from nova import context as nova_context
from nova import exception
from nova.image import glance
from nova import objects
from nova.virt import fake

# The bytes every snapshot of this driver holds: small, and recognisable
# when an image's data is read back.
PAYLOAD = b'nova-createbackup-ext fake snapshot\n' * 32


class PayloadFakeDriver(fake.FakeDriverWithoutFakeNodes):
    """A single-node fake driver whose snapshots hold a small payload.

    Its node keeps its name and uuid across restarts of nova-compute,
    which the plain ``FakeDriver`` does not, and so do its guests: as on
    a hypervisor, they outlive the compute service.
    """

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only=read_only)
        self._image_api = glance.API()

    def init_host(self, host):
        """Take back the guests of this host that Nova knows of."""
        super().init_host(host)
        # NOTE(cbext): FakeDriver keeps its guests in memory only, so a
        # restarted nova-compute would find none and fail every action
        # queued for them while it was down, unlike a real hypervisor.
        # The guests' last power state is in Nova's database.
        context = nova_context.get_admin_context()
        for instance in objects.InstanceList.get_by_host(context, host):
            self.instances[instance.uuid] = fake.FakeInstance(
                instance.name, instance.power_state, instance.uuid)

    def snapshot(self, context, instance, image_id, update_task_state):
        """Upload the payload as the data of the snapshot's image."""
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        update_task_state(
            task_state=task_states.IMAGE_UPLOADING,
            expected_state=task_states.IMAGE_PENDING_UPLOAD)

        # Name the formats of the data, as a hypervisor driver does, and
        # keep the properties Nova gave the image record.
        metadata = {'disk_format': 'raw', 'container_format': 'bare'}
        self._image_api.update(
            context, image_id, metadata, data=io.BytesIO(PAYLOAD),
            purge_props=False)
