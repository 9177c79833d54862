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

"""What an API extension declares: the descriptor and its two parts.

An extension is a class derived from :class:`ExtensionDescriptor`,
published as an entry point in the ``nova_createbackup_ext.api_extensions``
namespace. It names itself and lists what it adds to the compute API:

* :class:`ControllerExtension`: a controller whose ``@wsgi.action``
  methods become actions of an existing collection, such as ``servers``
  for ``POST /servers/{id}/action``;
* :class:`ResourceExtension`: a new collection with a controller of its
  own.

A descriptor knows nothing of how it is loaded: see
:mod:`nova_createbackup_ext.api.loader`.
"""


class ExtensionDescriptor:
    """Base class of the descriptor of an API extension.

    A subclass sets :attr:`name`, :attr:`alias` and :attr:`version`, and
    overrides at least one of the two ``get_`` methods.
    """

    #: The extension's human-readable name.
    name: str = ''
    #: A short, unique, lower-case name with dashes, such as
    #: ``os-create-backup``.
    alias: str = ''
    #: The version of the extension, as a string such as ``1.0``.
    version: str = ''

    def get_controller_extensions(self) -> list['ControllerExtension']:
        """Return the controllers that add actions to collections."""
        return []

    def get_resources(self) -> list['ResourceExtension']:
        """Return the new collections that the extension adds."""
        return []

    def __repr__(self):
        return '<%s %s %s>' % (type(self).__name__, self.alias, self.version)


class ControllerExtension:
    """Actions that an extension adds to an existing collection.

    :param collection: the collection's name in the URL, such as
        ``servers``
    :param controller: a ``nova.api.openstack.wsgi.Controller`` whose
        ``@wsgi.action`` methods serve ``POST /<collection>/{id}/action``
    """

    def __init__(self, collection, controller):
        self.collection = collection
        self.controller = controller


class ResourceExtension:
    """A new collection that an extension adds to the compute API.

    :param collection: the collection's name in the URL
    :param controller: a ``nova.api.openstack.wsgi.Controller``
    :param collection_methods: HTTP method to controller method name, for
        ``/<collection>``, such as ``{'GET': 'index'}``
    :param member_methods: the same for ``/<collection>/{id}``
    """

    def __init__(self, collection, controller, collection_methods=None,
                 member_methods=None):
        self.collection = collection
        self.controller = controller
        self.collection_methods = dict(collection_methods or {})
        self.member_methods = dict(member_methods or {})
