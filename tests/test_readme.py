"""The README's examples of HeyGen's whole API run, as written, against FakeHeyGen."""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path
from typing import Any

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

README = Path(__file__).resolve().parents[1] / "README.md"


def _whole_api_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## HeyGen's whole API", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


async def test_the_whole_api_example_runs_against_fakeheygen(tmp_path: Path) -> None:
    code = _whole_api_example()
    # The example names ids a reader has; here they come from the fake.
    names = {'"tpl_1"': "TEMPLATE", '"look_1"': "LOOK", '"voice_1"': "VOICE"}
    for literal in ('"ast_video"', '"ast_audio"', '"ast_1"'):
        names[literal] = "ASSET"
    for literal, name in names.items():
        code = code.replace(literal, name)
    code = code.replace('"out/"', "OUT")

    async def quick(seconds: float) -> None:  # the example's waits poll every 2 s and more
        await asyncio.sleep(min(seconds, 0.01))

    async with (
        asyncio.timeout(60),
        FakeHeyGen(step_seconds=0.002) as fake,
        fake.client(sleep=quick) as client,
    ):
        template = await anext(client.templates.list())
        look = await anext(client.avatars.looks.list())
        voice = await anext(client.voices.list())
        asset = await client.assets.upload(b"\x89PNG\r\n\x1a\n" + bytes(100), filename="a.png")
        scope: dict[str, Any] = {
            "client": client,
            "hg": hg,
            "TEMPLATE": template.id,
            "LOOK": look.id,
            "VOICE": voice.voice_id,
            "ASSET": asset.asset_id,
            "OUT": str(tmp_path) + "/",
        }
        exec(
            "async def example():\n" + textwrap.indent(code, "    ") + "\n    return locals()",
            scope,
        )
        done = await scope["example"]()
    assert done["ada"].status == "completed"
    assert done["voice"].status == "complete"
    assert done["translation"].status == "completed"
    assert done["cutout"].status == "completed"
    assert list(tmp_path.glob("*.mp4"))
