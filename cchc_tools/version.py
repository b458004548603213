"""The kit's version, in one place that every module can import (never the package front)."""

__version__ = "0.1.0"
