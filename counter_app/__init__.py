"""counter-app: the front-counter application of a certificate Registration Authority."""

__version__ = "0.1.0"
