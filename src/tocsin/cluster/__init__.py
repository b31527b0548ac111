"""Many nodes: the event log relayed to a NATS JetStream stream, and read back from it.

Every `tocsin serve` on one database writes events there (the events table is the outbox); one
node at a time (the `relay` duty, under a lease) publishes them to the stream `{cluster}_events`
in seq order, so that the stream's sequence numbers are the events' own; every node reads the
stream (`JetStreamFeed`) for its live streams and deliveries. See docs/cluster.md.
"""
