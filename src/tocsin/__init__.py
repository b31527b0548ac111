"""tocsin: a public warning system for air threats."""

__version__ = "0.1.0"
