"""assess: how ready is a code repository for production, and why.

Stages: collectors gather facts (``assess.collectors``), later stages turn them into findings,
grades and reports. The pipeline (``assess.pipeline``) runs each collector's notebook with
papermill and keeps everything in one run folder.
"""

from __future__ import annotations

__version__ = "0.1.0"
