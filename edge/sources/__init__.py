"""Where readings come from: one base (``base.Source``), one module per transport."""

from heatwatch.edge.sources.base import Source, SourceError, SourceFatalError, SourceRetryableError

__all__ = ["Source", "SourceError", "SourceFatalError", "SourceRetryableError"]
