"""Alert history: reading published data sets, mapping their places to regions, importing them
into the store, and replaying them through the live alert path."""
