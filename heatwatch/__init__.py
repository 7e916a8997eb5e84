"""heatwatch: the parts every other package shares (channels, refrigerant
properties, register maps, the wire contract) and the command line."""

__version__ = "0.1.0"
