"""Counter services: each joins domain rules, the store, the token and the signing module."""
