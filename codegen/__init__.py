"""The generator of heygen-async's API surface: `python -m codegen` (see codegen/__main__.py).

It reads HeyGen's schema (heygen_async/testing/heygen-openapi.v3.json) and the small
hand-written codegen/config.py, and writes every file named `_gen_*.py`: the models
(models/_gen_<area>.py), the resources (resources/_gen_<area>.py), their registry, and the
blocking facade's Protocols (_gen_sync_types.py).
"""
