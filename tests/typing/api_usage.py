"""Type-checked with mypy --strict in CI: the public API as users write it."""

from __future__ import annotations

import heygen_async as hg


async def create_one(client: hg.AsyncHeyGen) -> str:
    session: hg.Session = await client.sessions.create(
        prompt="A 30 second product teaser",
        orientation="landscape",
        files=[hg.AssetUrl("https://cdn.example/logo.png")],
    )
    request = hg.CreateVideoAgentRequest("Explain our pricing", mode="generate")
    other: hg.Session = await client.video_agents.create(request, idempotency_key="job-1")
    final: hg.Session = await client.video_agents.wait(other.session_id, timeout=60.0)
    if final.video_id is not None:
        video: hg.Video = await client.videos.get(final.video_id)
        await client.videos.download(video, "out.mp4")
    async for style in client.styles.list(tag="cinematic"):
        print(style.style_id, style.name)
    return session.session_id


def configure() -> hg.AsyncHeyGen:
    return hg.AsyncHeyGen(
        api_key="k",
        timeout=hg.Timeout(total=30.0, connect=5.0),
        retry=hg.RetryPolicy(max_retries=5, deadline=120.0),
        max_concurrent_creates=3,
    ).with_options(timeout=10.0)


async def handle(client: hg.AsyncHeyGen) -> float | None:
    try:
        await client.sessions.create(prompt="x")
    except hg.RateLimitError as exc:
        return exc.retry_after
    except hg.APIError as exc:
        print(exc.status, exc.code, exc.request_id)
    return None


def blocking(prompt: str) -> str:
    with hg.HeyGen(api_key="k", max_concurrent_creates=2) as client:
        session: hg.Session = client.video_agents.create(prompt=prompt)
        done: hg.Session = client.video_agents.wait(session.session_id, poll_interval=5.0)
        style: hg.Style
        for style in client.styles.list(tag="print"):
            print(style.name)
        results: list[hg.BatchResult] = client.sessions.create_many(["a", "b"])
        account: hg.Account = client.users.me()
        print(done.status, len(results), account.username)
        return session.session_id


def misspelt_options_are_type_errors() -> None:
    # mypy --strict warns about unused ignores: these lines fail CI unless mypy rejects them.
    hg.HeyGen(api_key="k", max_concurent_creates=2)  # type: ignore[call-arg]
    hg.HeyGen(api_key="k", timeout="soon")  # type: ignore[arg-type]
    hg.AsyncHeyGen(api_key="k", retry=3)  # type: ignore[arg-type]


async def progress_callbacks_are_typed(client: hg.AsyncHeyGen) -> None:
    def on_video(video: hg.Video) -> None:
        print(video.status)

    def on_int(value: int) -> None:
        print(value)

    await client.videos.wait("v1", on_progress=on_video)
    await client.videos.wait("v1", on_progress=on_int)  # type: ignore[arg-type]


async def whole_api(client: hg.AsyncHeyGen) -> None:
    from heygen_async.models import AvatarLook, Voice, VoiceSummary

    look: AvatarLook = await client.avatars.looks.get("look_1")
    async for voice in client.voices.list(language="English", type="public"):
        summary: VoiceSummary = voice
        print(summary.voice_id)
    clone: Voice = await client.voices.wait("voice_1", timeout=60.0)
    print(look.id, clone.status)
    client.voices.list(type="everyone")  # type: ignore[arg-type]
    await client.avatars.looks.get(42)  # type: ignore[arg-type]


def whole_api_blocking(client: hg.HeyGen) -> None:
    from heygen_async.models import AvatarLook

    look: AvatarLook = client.avatars.looks.get("look_1")
    for voice in client.voices.list():
        print(voice.voice_id, look.id)


async def waiting_on_events(client: hg.AsyncHeyGen, secret: str) -> hg.Session:
    receiver = hg.webhooks.WebhookReceiver(secret, fallback=600.0)
    session = await client.video_agents.create(prompt="p")
    results: list[hg.BatchResult] = await client.video_agents.create_many(
        ["a", "b"], wait=True, events=receiver
    )
    print(len(results))
    return await client.video_agents.wait(session.session_id, events=receiver)
