"""Users and their API tokens, with roles."""
