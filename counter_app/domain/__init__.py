"""Pure business rules of the counter: no I/O, no imports from the rest of counter_app."""
