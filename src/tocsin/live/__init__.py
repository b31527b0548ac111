"""The public state held in memory, folded from the event log: what a node with no database
(an edge) answers the public reads from, and its snapshot."""
