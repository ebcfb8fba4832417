-- Indexes for big tenants (issue 15): a server list of 6,390 servers over 50,000
-- ports scanned every port and every pending transition once per server.
CREATE INDEX ports_device ON ports (device);
CREATE INDEX ports_network ON ports (network);
CREATE INDEX ports_user ON ports (user);
CREATE INDEX servers_user ON servers (user);
CREATE INDEX floating_ips_port ON floating_ips (port);
CREATE INDEX floating_ips_user ON floating_ips (user, project);
CREATE INDEX pending_server ON pending (server);
CREATE INDEX pending_port ON pending (port);
CREATE INDEX pending_due ON pending (due, id);
