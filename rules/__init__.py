"""Declarative diagnosis rules (YAML data) and the engine that applies them."""
