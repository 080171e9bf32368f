"""FakeHeyGen's schema checks: the SDK's own validator (`heygen_async._jsonschema`).

One validator serves both sides, so the SDK refuses before sending exactly what the fake
(and HeyGen) would answer with a 400.
"""

from __future__ import annotations

from .._jsonschema import SchemaError, SchemaValidator

__all__ = ["SchemaError", "SchemaValidator"]
