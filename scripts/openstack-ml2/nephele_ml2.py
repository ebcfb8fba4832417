"""Nephele's ML2 mechanism driver for a Neutron without agents (scripts/openstack).

None of Neutron's shipped drivers binds a port unless an agent reported the host, so
without it every port Nova asks for stays unbound and nova-compute fails the attach.
This one binds any port that names a host (``binding:host_id``, which only Nova sets
here) to the first segment and marks it ACTIVE at once, as an agent would after
plugging it. Ports without a host (router interfaces, floating IPs, a tenant's own
ports) are never offered to bind_port, so they stay unbound and DOWN as before.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api


class HostBindingDriver(api.MechanismDriver):

    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER, {},
                                status=constants.PORT_STATUS_ACTIVE)
            return
