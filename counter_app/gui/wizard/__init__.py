"""Wizards: the flow is plain Python (:mod:`.flow`); Qt pages only show and collect (:mod:`.page`)."""
