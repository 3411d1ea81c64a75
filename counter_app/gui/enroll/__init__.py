"""The enrollment (新办) wizard's pages; the flow is in :mod:`.wizard`."""
