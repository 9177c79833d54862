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

"""Where the extension answers better than Nova's in-tree createBackup.

Each case runs the same scenario through both routers of one in-process
deployment: ``test_ours_*`` asserts the extension's answer, and
``test_stock_*`` asserts what Nova's own router answers instead, so each
``test_ours_*`` would fail on Nova's router.
"""

import threading

import glanceclient.exc as glance_exc
from nova import exception
import requests

from nova_createbackup_ext.api import create_backup
from tests.functional import fixtures
from tests import release

# The release of nova under test, for what differs between releases.
NOVA_RELEASE = release.NOVA_RELEASE

# What the extension refuses as metadata keys: the properties Nova writes
# on a backup, Glance's image attributes and the keys Nova's Glance client
# treats apart; and some of them spelt otherwise.
RESERVED_KEYS = sorted(create_backup.RESERVED_METADATA_KEYS)
RESERVED_VARIANTS = ('Instance_UUID ', ' image_type', 'Visibility',
                     'KERNEL_ID')


def _glance_answer(status):
    """The error glanceclient raises for a Glance answer of a status."""
    response = requests.Response()
    response.status_code = status
    response.headers['Content-Type'] = 'text/plain'
    response._content = b'refused by the image service'
    return glance_exc.from_response(response, response.content)


class ReservedMetadataTest(fixtures.CreateBackupTestCase):
    """Metadata may not rewrite the properties Nova rotates backups by."""

    def _attempt(self, router, key):
        server = self.create_server()
        api = self.client(router=router)
        resp = self.create_backup(server['id'], api=api, rotation=5,
                                  metadata={key: 'forged'})
        return server, resp

    def test_ours_refuses_reserved_keys(self):
        server = self.create_server()
        for key in RESERVED_KEYS + list(RESERVED_VARIANTS):
            resp = self.create_backup(server['id'], rotation=5,
                                      metadata={key: 'forged'})

            self.assertEqual(400, resp.status_code, '%r: %s' % (
                key, resp.text))
            message = resp.json()['badRequest']['message']
            self.assertIn('Metadata may not set %s:' % key, message)
            self.assertEqual([], self.glance.backups(server['id']))
            self.assertIsNone(self.task_state(server['id']))
        # No image anywhere carries the forged value.
        self.assertEqual([], self.glance.detail(
            None, filters={'property-image_type': 'forged'}))

    def test_ours_refuses_any_of_several(self):
        server = self.create_server()
        resp = self.create_backup(
            server['id'], metadata={'purpose': 'audit', 'user_id': 'x',
                                    'image_type': 'snapshot'})

        self.assertEqual(400, resp.status_code, resp.text)
        message = resp.json()['badRequest']['message']
        self.assertIn('image_type', message)
        self.assertIn('user_id', message)
        self.assertNotIn('purpose', message)

    def test_stock_lets_metadata_rewrite_them(self):
        # Nova applies the metadata after its own properties: the backup
        # is attributed to another server, or is no backup at all, and
        # rotation of the server's backups no longer sees it.
        server, resp = self._attempt(fixtures.STOCK, 'instance_uuid')
        self.assertEqual(202, resp.status_code, resp.text)
        image = self.glance.show(None, resp.json()['image_id'])
        self.assertEqual('forged', image['properties']['instance_uuid'])
        self.assertEqual([], self.glance.backups(server['id']))

        server, resp = self._attempt(fixtures.STOCK, 'image_type')
        self.assertEqual(202, resp.status_code, resp.text)
        image = self.glance.show(None, resp.json()['image_id'])
        self.assertEqual('forged', image['properties']['image_type'])

    def test_stock_lets_metadata_set_image_attributes(self):
        # A project member makes the backup visible to every project.
        server = self.create_server()
        resp = self.create_backup(
            server['id'], api=self.client(router=fixtures.STOCK),
            metadata={'visibility': 'community', 'name': 'renamed'})

        self.assertEqual(202, resp.status_code, resp.text)
        image = self.glance.show(None, resp.json()['image_id'])
        self.assertEqual('community', image['visibility'])
        self.assertEqual('renamed', image['name'])


class RaceTest(fixtures.CreateBackupTestCase):
    """Two createBackup requests for one server at the same time.

    The first request is held inside Glance's image create while the
    second one runs: it makes its image, marks the server busy and casts
    to the compute service, whose snapshot is held in turn. The first
    request then goes on, and finds the server taken.
    """

    def _race(self, router):
        server = self.create_server()
        api = self.client(router=router)
        self.glance.create_gate = glance_gate = fixtures.Gate()
        driver = self.compute.manager.driver
        driver.snapshot_gate = snapshot_gate = fixtures.Gate()
        answers = {}

        def send(name):
            answers[name] = self.create_backup(server['id'], api=api,
                                               rotation=5)

        first = threading.Thread(target=send, args=('first',))
        first.start()
        glance_gate.wait_entered()
        second = threading.Thread(target=send, args=('second',))
        second.start()
        snapshot_gate.wait_entered()

        glance_gate.release()
        first.join(fixtures.GATE_TIMEOUT)
        self.assertFalse(first.is_alive())
        snapshot_gate.release()
        second.join(fixtures.GATE_TIMEOUT)
        self.assertFalse(second.is_alive())
        return server, answers['first'], answers['second']

    def test_ours_refuses_the_loser_and_deletes_its_image(self):
        server, first, second = self._race(fixtures.OURS)

        self.assertEqual(202, second.status_code, second.text)
        self.assertEqual(409, first.status_code, first.text)
        self.assertIn('another action',
                      first.json()['conflictingRequest']['message'])
        # Only the winner's backup is left, and it is complete.
        backups = self.glance.backups(server['id'])
        self.assertEqual([second.json()['image_id']],
                         [image['id'] for image in backups])
        self.assertEqual('active', backups[0]['status'])
        self.assertIsNone(self.task_state(server['id']))

    def test_stock_answers_500_and_leaves_an_orphan(self):
        server, first, second = self._race(fixtures.STOCK)

        self.assertEqual(202, second.status_code, second.text)
        self.assertEqual(500, first.status_code, first.text)
        backups = self.glance.backups(server['id'])
        self.assertEqual(2, len(backups))
        orphans = [image for image in backups
                   if image['id'] != second.json()['image_id']]
        self.assertEqual(['queued'], [image['status'] for image in orphans])


class GlanceRefusalTest(fixtures.CreateBackupTestCase):
    """Glance refuses the backup's image record, or cannot be reached."""

    def _attempt(self, router, fault):
        server = self.create_server()
        fault()
        resp = self.create_backup(server['id'],
                                  api=self.client(router=router))
        # Whatever the answer, nothing is left half-made.
        self.assertIsNone(self.task_state(server['id']))
        self.assertEqual('active', self.vm_state(server['id']))
        self.glance.reachable = True
        self.assertEqual([], self.glance.backups(server['id']))
        return resp

    def _over_quota(self):
        # Fewer properties than Nova writes on a backup.
        self.glance.property_quota = 3

    def test_ours_over_property_quota_is_403(self):
        resp = self._attempt(fixtures.OURS, self._over_quota)

        self.assertEqual(403, resp.status_code, resp.text)
        message = resp.json()['forbidden']['message']
        self.assertIn('quota', message)
        self.assertIn('Maximum: 3', message)

    def test_stock_over_property_quota_is_500(self):
        resp = self._attempt(fixtures.STOCK, self._over_quota)

        self.assertEqual(500, resp.status_code, resp.text)

    def _bad_property(self):
        self.glance.refuse_next_create(glance_exc.HTTPBadRequest(
            "Property 'hw_disk_bus' is not one of the allowed values"))

    def test_ours_bad_property_is_400(self):
        resp = self._attempt(fixtures.OURS, self._bad_property)

        self.assertEqual(400, resp.status_code, resp.text)
        message = resp.json()['badRequest']['message']
        self.assertIn('image service refused', message)
        self.assertIn('hw_disk_bus', message)

    def test_stock_bad_property_is_500(self):
        resp = self._attempt(fixtures.STOCK, self._bad_property)

        self.assertEqual(500, resp.status_code, resp.text)

    def _skip_before_nova_33(self):
        # Nova 32's legacy validation refuses the key itself (400 from
        # either router), so Glance never sees it.
        if NOVA_RELEASE < 33:
            self.skipTest('Nova 32 refuses a metadata key over 255 '
                          'characters at 2.0 before Glance is asked')

    def test_ours_long_property_name_at_2_0_is_400(self):
        # At 2.0 Nova's schema lets a metadata key of any length through
        # (from Nova 33 on), and Glance refuses a property name of more
        # than 255 characters.
        self._skip_before_nova_33()
        server = self.create_server()
        resp = self.create_backup(
            server['id'], api=self.client(microversion='2.0'),
            metadata={'k' * 256: 'v'})

        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('greater than 255 characters',
                      resp.json()['badRequest']['message'])
        self.assertIsNone(self.task_state(server['id']))
        self.assertEqual([], self.glance.backups(server['id']))

    def test_stock_long_property_name_at_2_0_is_500(self):
        self._skip_before_nova_33()
        server = self.create_server()
        resp = self.create_backup(
            server['id'], metadata={'k' * 256: 'v'},
            api=self.client(microversion='2.0', router=fixtures.STOCK))

        self.assertEqual(500, resp.status_code, resp.text)

    def _unreachable(self):
        self.glance.reachable = False

    def test_ours_unreachable_is_503(self):
        resp = self._attempt(fixtures.OURS, self._unreachable)

        # From 2.39 the quota check is the first to find Glance gone.
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertIn('Try again later',
                      resp.json()['serviceUnavailable']['message'])

    def test_ours_unreachable_at_2_38_is_503(self):
        server = self.create_server()
        self.glance.reachable = False
        resp = self.create_backup(server['id'],
                                  api=self.client(microversion='2.38'))

        self.assertEqual(503, resp.status_code, resp.text)
        self.assertIn('cannot be reached',
                      resp.json()['serviceUnavailable']['message'])
        self.glance.reachable = True
        self.assertIsNone(self.task_state(server['id']))
        self.assertEqual([], self.glance.backups(server['id']))

    def test_stock_unreachable_is_500(self):
        resp = self._attempt(fixtures.STOCK, self._unreachable)

        self.assertEqual(500, resp.status_code, resp.text)

    def _server_error(self):
        self.glance.refuse_next_create(
            glance_exc.HTTPInternalServerError('database is gone'))

    def test_ours_glance_server_error_is_503(self):
        resp = self._attempt(fixtures.OURS, self._server_error)

        self.assertEqual(503, resp.status_code, resp.text)
        self.assertIn('Try again later',
                      resp.json()['serviceUnavailable']['message'])

    def test_stock_glance_server_error_is_500(self):
        resp = self._attempt(fixtures.STOCK, self._server_error)

        self.assertEqual(500, resp.status_code, resp.text)

    # Glance's answers to the image create, as glanceclient raises them,
    # and the extension's answer to each. glanceclient has no class for
    # 429, 504 or 418: they come as its base HTTPException, code 'N/A'.
    GLANCE_ANSWERS = {405: 400, 409: 409, 429: 503, 502: 503, 504: 503,
                      418: 503}

    def _answers(self, router):
        server = self.create_server()
        api = self.client(router=router)
        answers = {}
        for status in sorted(self.GLANCE_ANSWERS):
            self.glance.refuse_next_create(_glance_answer(status))
            resp = self.create_backup(server['id'], api=api)
            answers[status] = resp
            self.assertIsNone(self.task_state(server['id']))
            self.assertEqual([], self.glance.backups(server['id']))
        return answers

    def test_ours_answers_glance_errors(self):
        answers = self._answers(fixtures.OURS)

        self.assertEqual(
            self.GLANCE_ANSWERS,
            {status: resp.status_code for status, resp in answers.items()})
        self.assertIn('conflicting',
                      answers[409].json()['conflictingRequest']['message'])
        self.assertIn('HTTP 405', answers[405].json()['badRequest']['message'])
        for status in (429, 502, 504, 418):
            self.assertIn('Try again later', answers[status].json()[
                'serviceUnavailable']['message'])

    def test_stock_answers_glance_errors_with_500(self):
        answers = self._answers(fixtures.STOCK)

        self.assertEqual(
            dict.fromkeys(self.GLANCE_ANSWERS, 500),
            {status: resp.status_code for status, resp in answers.items()})

    def test_ours_next_backup_works(self):
        def fail_once():
            self.glance.refuse_next_create(
                exception.GlanceConnectionFailed(server='127.0.0.1:9292',
                                                 reason='timed out'))

        resp = self._attempt(fixtures.OURS, fail_once)
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertIn('cannot be reached',
                      resp.json()['serviceUnavailable']['message'])

        server = self.create_server()
        resp = self.create_backup(server['id'])
        self.assertEqual(202, resp.status_code, resp.text)
