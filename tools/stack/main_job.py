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

"""The main job on the single-node deployment: nightly backups, rotated.

As the demo project's member: boot a server with no network, take three
daily backups with rotation 2 through the openstack client, one through
raw HTTP at microversion 2.44 (the image is named by the Location
header) and one at 2.45 (by ``image_id`` in the body); then wait until
Glance holds exactly the two newest, both active, and show them. The
demo project's reader is refused with 403. Any other outcome ends the
job with a non-zero status.

Run by tools/demo.sh with the deployment's venv and
OS_CLIENT_CONFIG_FILE set.
"""

import os
import subprocess
import sys
import time

from openstack import config as os_config

SERVER_PREFIX = 'cbext-demo'
BACKUP = {'name': 'nightly', 'backup_type': 'daily', 'rotation': 2}
TIMEOUT = 180


class JobFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise JobFailed(message)


def step(message):
    print('==> %s' % message, flush=True)


def session(cloud):
    return os_config.OpenStackConfig().get_one(cloud=cloud).get_session()


COMPUTE = {'service_type': 'compute', 'interface': 'public'}
IMAGE = {'service_type': 'image', 'interface': 'public'}


def openstack(cloud, *args, ok=True):
    """Run the openstack client; return its result."""
    cmd = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
           '--os-cloud', cloud, *args]
    print('$ openstack --os-cloud %s %s' % (cloud, ' '.join(args)),
          flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True)
    if ok and result.returncode:
        raise JobFailed('openstack %s failed: %s' % (
            ' '.join(args), result.stderr.strip()))
    return result


def wait_for(what, probe, timeout=TIMEOUT):
    """Call probe until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise JobFailed('timed out after %ss waiting for %s' % (
                timeout, what))
        time.sleep(1)


def server_of(sess, server_id):
    resp = sess.get('/servers/%s' % server_id, endpoint_filter=COMPUTE,
                    raise_exc=False)
    if resp.status_code == 404:
        return None
    return resp.json()['server']


def wait_idle(sess, server_id):
    """Wait for the server to be ACTIVE with no task."""
    def idle():
        server = server_of(sess, server_id)
        check(server['status'] != 'ERROR', 'server went to ERROR')
        return (server['status'] == 'ACTIVE' and
                server['OS-EXT-STS:task_state'] is None)
    wait_for('server %s to be idle' % server_id, idle)


def backups_of(sess, server_id):
    """The server's backup images in Glance, oldest first."""
    resp = sess.get('/v2/images', endpoint_filter=IMAGE, params={
        'instance_uuid': server_id, 'sort': 'created_at:asc'})
    return [i for i in resp.json()['images']
            if i.get('image_type') == 'backup']


def remove_earlier_demos(member):
    servers = member.get('/servers', endpoint_filter=COMPUTE).json()
    for server in servers['servers']:
        if not server['name'].startswith(SERVER_PREFIX):
            continue
        step('removing the earlier demo server %s and its backups'
             % server['id'])
        for image in backups_of(member, server['id']):
            member.delete('/v2/images/%s' % image['id'],
                          endpoint_filter=IMAGE, raise_exc=False)
        member.delete('/servers/%s' % server['id'],
                      endpoint_filter=COMPUTE, raise_exc=False)
        wait_for('server %s to go' % server['id'],
                 lambda: server_of(member, server['id']) is None)


def raw_backup(sess, server_id, microversion):
    return sess.post(
        '/servers/%s/action' % server_id, endpoint_filter=COMPUTE,
        json={'createBackup': BACKUP}, raise_exc=False,
        headers={'OpenStack-API-Version': 'compute %s' % microversion})


def run(image_name, flavor_name):
    member = session('member')
    reader = session('reader')

    remove_earlier_demos(member)
    name = '%s-%d' % (SERVER_PREFIX, time.time())
    step('booting %s with no network' % name)
    boot = openstack('member', 'server', 'create', '--flavor', flavor_name,
                     '--image', image_name, '--nic', 'none', '--wait',
                     '-f', 'value', '-c', 'id', name)
    server_id = boot.stdout.strip()
    wait_idle(member, server_id)

    for n in (1, 2, 3):
        step('backup %d of 3 through the openstack client' % n)
        before = {i['id'] for i in backups_of(member, server_id)}
        result = openstack(
            'member', 'server', 'backup', 'create',
            '--name', BACKUP['name'], '--type', BACKUP['backup_type'],
            '--rotate', str(BACKUP['rotation']), server_id, ok=False)
        # NOTE(cbext): after the API accepted the backup, the client looks
        # the new image up by its name to show it, and gives up with
        # "More than one Image exists" once an earlier backup of the
        # same name is still there - which rotation 2 means. The backup
        # was taken all the same; what counts is the new image below.
        if result.returncode and 'More than one Image exists' not in (
                result.stderr):
            raise JobFailed('openstack server backup create: %s'
                            % result.stderr.strip())
        if result.returncode:
            print('    (the client could not show the image: %s)'
                  % result.stderr.strip())
        new = {i['id'] for i in backups_of(member, server_id)} - before
        check(len(new) == 1, 'backup %d made images %s' % (n, new))
        print('    accepted: image %s' % new.pop())
        wait_idle(member, server_id)

    step('createBackup over HTTP at 2.44: the image is in Location')
    resp = raw_backup(member, server_id, '2.44')
    check(resp.status_code == 202, '2.44: %s %s' % (resp.status_code,
                                                    resp.text))
    location = resp.headers.get('Location', '')
    check(location, '2.44: no Location header')
    check(not resp.content, '2.44: a body: %r' % resp.text)
    image_244 = location.rstrip('/').rsplit('/', 1)[-1]
    print('    202, Location: %s' % location)
    wait_idle(member, server_id)

    step('createBackup over HTTP at 2.45: the image is image_id')
    resp = raw_backup(member, server_id, '2.45')
    check(resp.status_code == 202, '2.45: %s %s' % (resp.status_code,
                                                    resp.text))
    check('Location' not in resp.headers, '2.45: a Location header')
    image_245 = resp.json()['image_id']
    print('    202, body: %s' % resp.text)
    wait_idle(member, server_id)

    step("the demo project's reader is refused")
    refused = openstack('reader', 'server', 'backup', 'create',
                        '--name', 'by-reader', '--type', 'daily',
                        '--rotate', '2', server_id, ok=False)
    check(refused.returncode != 0 and '403' in refused.stderr,
          'reader through the client: %r' % refused.stderr)
    print('    %s' % refused.stderr.strip().splitlines()[-1])
    resp = raw_backup(reader, server_id, '2.45')
    check(resp.status_code == 403, 'reader over HTTP: %s %s' % (
        resp.status_code, resp.text))
    print('    over HTTP: %s %s' % (resp.status_code, resp.text))

    step('waiting for Glance to hold the two newest backups, active')

    def rotated():
        images = backups_of(member, server_id)
        if len(images) == 2 and all(i['status'] == 'active'
                                    for i in images):
            return images
        return None
    images = wait_for('rotation to leave two active backups', rotated)
    ids = [i['id'] for i in images]
    check(ids == [image_244, image_245],
          'Glance holds %s, not the two newest %s' % (
              ids, [image_244, image_245]))
    for image in images:
        check(image['backup_type'] == 'daily' and
              image['instance_uuid'] == server_id and
              image['name'] == 'nightly' and image['size'],
              'unexpected backup %s' % image)
    by_reader = [i for i in backups_of(member, server_id)
                 if i['name'] == 'by-reader']
    check(not by_reader, "the reader's refused backup left an image")

    step("what Glance holds for server %s" % server_id)
    keys = ('id', 'name', 'status', 'size', 'created_at', 'image_type',
            'backup_type', 'instance_uuid', 'user_id', 'base_image_ref')
    for image in images:
        print()
        for key in keys:
            print('    %-15s %s' % (key, image.get(key)))
    print()
    print('OK: 5 backups taken with rotation 2; Glance holds exactly the '
          'two newest, active; the reader was refused with 403.')


def main():
    image_name = os.environ.get('CREATEBACKUP_DEMO_IMAGE', 'cbext-tiny')
    flavor_name = os.environ.get('CREATEBACKUP_DEMO_FLAVOR', 'cbext.tiny')
    try:
        run(image_name, flavor_name)
    except JobFailed as exc:
        print('FAILED: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
