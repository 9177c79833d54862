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

"""Find the API extensions that are installed and wire them into a router.

Extensions are entry points in the :data:`NAMESPACE` namespace, each a
:class:`~nova_createbackup_ext.api.extensions.ExtensionDescriptor`
subclass. Loading is strict: an entry point that cannot be imported, that
is not a descriptor, or that claims an action another extension claims,
stops the router from being built, with an :class:`ExtensionLoadError`
naming the entry point. Nova-api then fails to start rather than serve
the in-tree action silently in the extension's place.
"""

import logging

from nova.api.openstack import wsgi
from stevedore import extension as stevedore_extension

from nova_createbackup_ext.api import extensions

LOG = logging.getLogger(__name__)

NAMESPACE = 'nova_createbackup_ext.api_extensions'

# What was last logged, so that the two routers nova-api builds (/v2 and
# /v2.1) log what they loaded once between them.
_last_logged = None


class ExtensionLoadError(Exception):
    """An API extension cannot be loaded; the message names it."""


def _entry_point_name(entry_point):
    return '%s = %s (namespace %s)' % (
        entry_point.name, entry_point.value, NAMESPACE)


def _raise_load_failure(manager, entry_point, exc):
    raise ExtensionLoadError('Cannot load API extension %s: %s: %s' % (
        _entry_point_name(entry_point), type(exc).__name__, exc)) from exc


def _check_descriptor(ext):
    descriptor = ext.obj
    where = _entry_point_name(ext.entry_point)
    if not isinstance(descriptor, extensions.ExtensionDescriptor):
        raise ExtensionLoadError(
            'API extension %s is not an ExtensionDescriptor: %r'
            % (where, descriptor))
    for attr in ('name', 'alias', 'version'):
        if not isinstance(getattr(descriptor, attr), str) or not getattr(
                descriptor, attr):
            raise ExtensionLoadError(
                'API extension %s has no %s' % (where, attr))
    return descriptor


def load_extensions(manager=None):
    """Load the installed API extensions.

    :param manager: a stevedore ExtensionManager holding the descriptors
        already loaded, for tests; by default, every entry point of
        :data:`NAMESPACE` is loaded
    :returns: the descriptors, sorted by alias
    :raises ExtensionLoadError: naming the first entry point that fails
    """
    if manager is None:
        manager = stevedore_extension.ExtensionManager(
            NAMESPACE, invoke_on_load=True,
            on_load_failure_callback=_raise_load_failure)
    descriptors = {}
    for ext in manager:
        descriptor = _check_descriptor(ext)
        if descriptor.alias in descriptors:
            raise ExtensionLoadError(
                'API extension %s uses the alias %s of %r'
                % (_entry_point_name(ext.entry_point), descriptor.alias,
                   descriptors[descriptor.alias]))
        descriptors[descriptor.alias] = descriptor
    return [descriptors[alias] for alias in sorted(descriptors)]


def _strip_project(path):
    # Nova connects each route twice, with and without a leading
    # project_id segment.
    if path.startswith('/{project_id'):
        return path[path.index('}') + 1:]
    return path


def _resources_for(mapper, path):
    resources = []
    for route in mapper.matchlist:
        resource = route.defaults.get('controller')
        if (_strip_project(route.routepath) == path and
                isinstance(resource, wsgi.Resource) and
                resource not in resources):
            resources.append(resource)
    return resources


def _clones_of(mapper, resources, actions):
    # NOTE(cbext): up to Nova 32, /os-volumes_boot is a clone of /servers:
    # its action route has a Resource of its own, built from the same
    # controllers, in-tree server actions included. An action replaced on
    # the collection is replaced on such a clone too, or the clone would
    # still serve nova's. Nova 33 gave /os-volumes_boot a controller of
    # its own without the actions, so no clone is found from Nova 33 on.
    classes = {type(resource.controller) for resource in resources}
    clones = []
    for route in mapper.matchlist:
        resource = route.defaults.get('controller')
        if (isinstance(resource, wsgi.Resource) and
                resource not in resources and resource not in clones and
                _strip_project(route.routepath).endswith('/{id}/action') and
                type(resource.controller) in classes and
                any(action in resource.wsgi_actions for action in actions)):
            clones.append(resource)
    return clones


def _attach_actions(mapper, descriptor, claimed):
    replaced = []
    for ext in descriptor.get_controller_extensions():
        path = '/%s/{id}/action' % ext.collection
        resources = _resources_for(mapper, path)
        if not resources:
            raise ExtensionLoadError(
                'API extension %s extends the collection %s, which this '
                'router does not have (no route %s)'
                % (descriptor.alias, ext.collection, path))
        actions = sorted(getattr(ext.controller, 'wsgi_actions', {}))
        if not actions:
            raise ExtensionLoadError(
                'API extension %s gives the collection %s a controller '
                'with no @wsgi.action method' % (
                    descriptor.alias, ext.collection))
        for action in actions:
            key = (ext.collection, action)
            if key in claimed:
                raise ExtensionLoadError(
                    'API extensions %s and %s both serve the action %s of '
                    '%s' % (claimed[key], descriptor.alias, action,
                            ext.collection))
            claimed[key] = descriptor.alias
            if any(action in res.wsgi_actions for res in resources):
                replaced.append('%s:%s' % (ext.collection, action))
        for resource in resources + _clones_of(mapper, resources, actions):
            resource.register_subcontroller_actions(ext.controller)
    return replaced


def _add_resources(mapper, descriptor):
    added = []
    for ext in descriptor.get_resources():
        resource = wsgi.Resource(ext.controller)
        base = '/%s' % ext.collection
        for path, methods in ((base, ext.collection_methods),
                              (base + '/{id}', ext.member_methods)):
            for method, action in methods.items():
                mapper.create_route(path, method, resource, action)
        if getattr(ext.controller, 'wsgi_actions', None):
            mapper.create_route(base + '/{id}/action', 'POST', resource,
                                'action')
        added.append(ext.collection)
    return added


def attach(mapper, descriptors):
    """Wire the descriptors' collections and actions into a route mapper.

    :param mapper: the ``routes`` mapper of nova's APIRouterV21, already
        holding nova's own routes
    :param descriptors: what :func:`load_extensions` returned
    :returns: the in-tree actions replaced, as ``collection:action``
    """
    claimed = {}
    replaced = []
    added = []
    for descriptor in descriptors:
        replaced.extend(_attach_actions(mapper, descriptor, claimed))
        added.extend(_add_resources(mapper, descriptor))
    _log_once(descriptors, replaced, added)
    return replaced


def _log_once(descriptors, replaced, added):
    global _last_logged
    summary = (tuple(repr(d) for d in descriptors), tuple(replaced),
               tuple(added))
    if summary == _last_logged:
        return
    _last_logged = summary
    LOG.info('Loaded API extensions: %(loaded)s; in-tree actions they '
             'replace: %(replaced)s; collections they add: %(added)s',
             {'loaded': ', '.join('%s %s' % (d.alias, d.version)
                                  for d in descriptors) or 'none',
              'replaced': ', '.join(replaced) or 'none',
              'added': ', '.join(added) or 'none'})
