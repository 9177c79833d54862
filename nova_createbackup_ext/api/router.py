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

"""The paste app factory that serves nova's API with the extensions.

In ``api-paste.ini``, an operator replaces nova's factory in
``[app:osapi_compute_app_v21]`` with this one::

    [app:osapi_compute_app_v21]
    paste.app_factory = nova_createbackup_ext.api.router:APIRouterV21.factory

Every route is nova's own; the installed extensions then add their
actions and collections on top (see :mod:`.loader`).
"""

from nova.api.openstack.compute import routes

from nova_createbackup_ext.api import loader


class APIRouterV21(routes.APIRouterV21):
    """Nova's v2.1 router, with the installed API extensions attached."""

    def __init__(self, custom_routes=None, descriptors=None):
        """Build nova's routes, then attach the extensions.

        :param custom_routes: passed on to nova's router
        :param descriptors: the extensions to attach, for tests; by
            default, every one installed
        """
        super().__init__(custom_routes=custom_routes)
        if descriptors is None:
            descriptors = loader.load_extensions()
        self.extensions = descriptors
        self.replaced_actions = loader.attach(self.map, descriptors)

    @classmethod
    def factory(cls, global_config, **local_config):
        """Build the router; the paste app factory."""
        return cls()
