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
actions and collections on top (see :mod:`.loader`). Two kinds of
malformed body that nova's router answers with 500, on every route, are
refused with 400 instead (see :meth:`APIRouterV21.__call__`).
"""

import json

from nova.api.openstack.compute import routes
from nova.api.openstack import wsgi as openstack_wsgi
from nova.api import wsgi
from routes import middleware as routes_middleware
import webob.dec
import webob.exc

from nova_createbackup_ext.api import loader
from nova_createbackup_ext.i18n import _


def _malformed_body():
    msg = _("Malformed request body")
    return openstack_wsgi.Fault(webob.exc.HTTPBadRequest(explanation=msg))


def _nested_too_deep(body):
    try:
        json.loads(body)
    except RecursionError:
        return True
    except ValueError:
        return False
    return False


# The in-tree actions that this package exists to replace. A router built
# from the installed extensions without them would serve Nova's own
# action in their place, so it is not built.
REQUIRED_ACTIONS = ('servers:createBackup',)


class APIRouterV21(routes.APIRouterV21):
    """Nova's v2.1 router, with the installed API extensions attached."""

    def __init__(self, custom_routes=None, descriptors=None):
        """Build nova's routes, then attach the extensions.

        :param custom_routes: passed on to nova's router
        :param descriptors: the extensions to attach, for tests; by
            default, every one installed, which must replace the
            :data:`REQUIRED_ACTIONS`
        :raises loader.ExtensionLoadError: when an installed extension
            cannot be loaded, or none replaces a required action
        """
        super().__init__(custom_routes=custom_routes)
        installed = descriptors is None
        if installed:
            descriptors = loader.load_extensions()
        self.extensions = descriptors
        self.replaced_actions = loader.attach(self.map, descriptors)
        missing = [action for action in REQUIRED_ACTIONS
                   if action not in self.replaced_actions]
        if installed and missing:
            raise loader.ExtensionLoadError(
                'No installed API extension serves %s (namespace %s): '
                'is nova-createbackup-ext installed in the environment '
                'nova-api runs from?' % (', '.join(missing),
                                         loader.NAMESPACE))

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        """Route a request as nova does, refusing two malformed bodies."""
        # NOTE(cbext): the routes library reads the body of every form
        # POST for a '_method' override, and a form body that does not
        # parse (multipart with no boundary) raises ValueError there:
        # nova answers 500. Nova's API takes no form bodies (it answers
        # 415 to those that parse), so such a request is malformed.
        if (req.method == 'POST' and
                routes_middleware.is_form_post(req.environ)):
            try:
                req.POST
            except ValueError:
                return _malformed_body()
        try:
            return req.get_response(self._router)
        except RecursionError:
            # NOTE(cbext): nova's JSON deserializer catches ValueError
            # only, so a body nested deeper than Python's recursion limit
            # escapes it and nova answers 500. Any other RecursionError
            # is still an error of the server.
            if not _nested_too_deep(req.body):
                raise
            return _malformed_body()

    @classmethod
    def factory(cls, global_config, **local_config):
        """Build the router; the paste app factory."""
        return cls()
