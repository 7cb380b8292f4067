"""Caller location: typed fixes and the Advanced Mobile Location (AML) parsers.

Standard library only. Text formats that need third-party libraries (Plus codes, the British
National Grid) are recognised in ``controlroom.adapters.location_text``.
"""

from controlroom.domain.location.aml import (
    AmlError,
    apply_aml,
    format_aml_https,
    format_aml_v1,
    format_aml_v2,
    looks_like_aml,
    parse_aml,
    parse_aml_https,
    parse_aml_v1,
    parse_aml_v2,
)
from controlroom.domain.location.fix import (
    LocationFix,
    LocationSource,
    PositioningMethod,
    newer_fix,
)

__all__ = [
    "AmlError",
    "LocationFix",
    "LocationSource",
    "PositioningMethod",
    "apply_aml",
    "format_aml_https",
    "format_aml_v1",
    "format_aml_v2",
    "looks_like_aml",
    "newer_fix",
    "parse_aml",
    "parse_aml_https",
    "parse_aml_v1",
    "parse_aml_v2",
]
