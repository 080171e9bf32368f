"""What the schema cannot tell the generator: names where the heuristics fail, the job kinds
`wait` knows, the operations written by hand, and the models the SDK already had.

Everything else comes from heygen-openapi.v3.json (see codegen/spec.py for the naming rule).
"""

from __future__ import annotations

# The CLI's group (`heygen <group> ...`) -> the client attribute (operations.md's table).
GROUPS = {
    "ai-clipping": "ai_clipping",
    "asset": "assets",
    "audio": "audio",
    "avatar": "avatars",
    "background-removal": "background_removals",
    "brand": "brand",
    "lipsync": "lipsyncs",
    "template": "templates",
    "user": "users",
    "video-agent": "video_agents",
    "video-translate": "video_translations",
    "video": "videos",
    "voice": "voices",
    "webhook": "webhooks",
}

# How a group's nested namespaces are named: `avatars.looks` -> AvatarLooks.
CLASS_PREFIX = {
    "ai_clipping": "AiClipping",
    "assets": "Asset",
    "audio": "Audio",
    "avatars": "Avatar",
    "background_removals": "BackgroundRemoval",
    "brand": "Brand",
    "lipsyncs": "Lipsync",
    "templates": "Template",
    "users": "User",
    "video_agents": "VideoAgent",
    "video_translations": "VideoTranslation",
    "videos": "Video",
    "voices": "Voice",
    "webhooks": "Webhook",
}

# Calls whose name is not the CLI's words (operations.md: "Two calls keep their shorter names").
CALL_NAMES = {
    "heygen video-agent send": ("video_agents", "send_message"),
    "heygen user me get": ("users", "me"),
}

# The interactive sessions API has no CLI command: `client.sessions.*`, all written by hand.
SESSION_CALLS = {
    ("POST", "/v3/video-agents/sessions"): ("sessions", "create"),
    ("GET", "/v3/video-agents/sessions/{session_id}"): ("sessions", "get"),
    ("POST", "/v3/video-agents/sessions/{session_id}/messages"): ("sessions", "send_message"),
    ("GET", "/v3/video-agents/sessions/{session_id}/resources"): ("sessions", "list_resources"),
    ("POST", "/v3/video-agents/sessions/{session_id}/stop"): ("sessions", "stop"),
}

# Operations whose method is written by hand (resources/sessions.py, video_agents.py,
# videos.py): the generator checks they exist and writes nothing for them.
HAND_WRITTEN = {
    *SESSION_CALLS,
    ("POST", "/v3/video-agents"),
    ("GET", "/v3/video-agents"),
    ("GET", "/v3/video-agents/{session_id}"),
    ("POST", "/v3/video-agents/{session_id}"),
    ("POST", "/v3/video-agents/{session_id}/stop"),
    ("GET", "/v3/videos/{video_id}"),
}

# Groups with a hand-written class: the generator writes `<Class>Operations`, its base.
HAND_WRITTEN_CLASSES = {
    "assets": ("heygen_async.resources.assets", "Assets"),
    "users": ("heygen_async.resources.users", "Users"),
    "video_agents": ("heygen_async.resources.video_agents", "VideoAgents"),
    "videos": ("heygen_async.resources.videos", "Videos"),
}

# Names the SDK exported before the generator, kept as documented aliases.
ALIASES = {
    "client.styles.list": "client.video_agents.styles.list",
    "client.video_agents.get_resource": "client.video_agents.resources.get",
    "client.video_agents.list_videos": "client.video_agents.videos.list",
    "client.assets.upload": "client.assets.create",
}

# Replies that are a hand-written model (module in heygen_async.models, class). Every reply
# (or nested object) of the same shape is that model too.
REUSED_MODELS = {
    ("GET", "/v3/videos/{video_id}"): ("videos", "Video"),
    ("GET", "/v3/video-agents/{session_id}/videos"): ("videos", "Video"),
    ("GET", "/v3/video-agents/styles"): ("styles", "Style"),
    ("GET", "/v3/video-agents/{session_id}/resources/{resource_id}"): (
        "sessions",
        "SessionResource",
    ),
    ("GET", "/v3/users/me"): ("users", "Account"),
    ("POST", "/v3/assets"): ("assets", "Asset"),
    ("POST", "/v3/assets/{asset_id}/complete"): ("assets", "Asset"),
    ("POST", "/v3/assets/direct-uploads"): ("assets", "DirectUpload"),
}

# POSTs that start a paid job: Kind.CREATE (bounded by max_concurrent_creates, gated on 429).
CREATES = {
    ("POST", "/v3/ai-clipping"),
    ("POST", "/v3/avatars"),
    ("POST", "/v3/background-removals"),
    ("POST", "/v3/lipsyncs"),
    ("POST", "/v3/lipsyncs/batches"),
    ("POST", "/v3/templates/{template_id}"),
    ("POST", "/v3/video-translations"),
    ("POST", "/v3/video-translations/batches"),
    ("POST", "/v3/video-translations/proofreads"),
    ("POST", "/v3/video-translations/proofreads/{proofread_id}/generate"),
    ("POST", "/v3/videos"),
    ("POST", "/v3/videos/batches"),
    ("POST", "/v3/voices/clone"),
    ("POST", "/v3/voices/speech"),
}


class Job:
    """A job kind: its `get` (method, path) and what its statuses mean.

    `done` ends the wait with the job; `failed` raises JobFailedError; `needs_owner` raises
    ActionRequiredError. Each status must be in the schema's enum of `status`, where it has
    one (the generator checks); other statuses keep the wait going.
    """

    def __init__(
        self,
        path: str,
        what: str,
        *,
        done: tuple[str, ...] = ("completed",),
        failed: tuple[str, ...] = ("failed",),
        needs_owner: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.what = what
        self.done = done
        self.failed = failed
        self.needs_owner = needs_owner


# Every job kind of operations.md ("Arguments and results"); videos.wait is hand-written.
JOBS = [
    Job("/v3/ai-clipping/{job_id}", "AI clipping job", failed=("failed", "cancelled")),
    Job("/v3/assets/batches/{batch_id}", "asset batch"),
    Job("/v3/avatars/{group_id}", "avatar", needs_owner=("pending_consent",)),
    Job("/v3/avatars/looks/{look_id}", "avatar look", needs_owner=("pending_consent",)),
    Job("/v3/background-removals/{job_id}", "background removal"),
    Job("/v3/lipsyncs/{lipsync_id}", "lipsync"),
    Job("/v3/lipsyncs/batches/{batch_id}", "lipsync batch"),
    Job("/v3/video-translations/{video_translation_id}", "video translation"),
    Job("/v3/video-translations/batches/{batch_id}", "video translation batch"),
    Job("/v3/video-translations/proofreads/{proofread_id}", "proofread"),
    Job("/v3/videos/batches/{batch_id}", "video batch"),
    Job("/v3/voices/{voice_id}", "voice clone", done=("complete",)),
]

# Model names where the default (from x-cli-var and property names) reads badly or
# collides. Keyed by the model's origin: the x-cli-var, then property names ("[]" for the
# items of an array), as the generator's error for a collision prints it.
MODEL_NAMES: dict[str, str] = {
    # One shape for the batches of assets, lipsyncs, videos and video translations.
    "AssetBatchesGet": "Batch",
    "AssetBatchesGet.items[]": "BatchItem",
    # One shape for the statuses lists of assets, lipsyncs, videos and video translations.
    "AssetStatusesList": "JobStatusEntry",
    "AiClippingDelete": "Deletion",
    "AiClippingGet": "AiClippingJob",  # `AiClipping` is the resource (client.ai_clipping)
    # models.assets.Asset is the upload's reply; this is the library entry.
    "AssetGet": "AssetDetail",
    "AssetDirectUploadsBatchesCreate": "DirectUploadBatch",
    "AssetSearch": "AssetSearchResult",
    "AvatarCreate.avatar_group": "CreatedAvatarGroup",
    "AvatarCreate.avatar_item": "CreatedAvatarLook",
    "TemplateList": "TemplateSummary",
    "VideoTranslateCreate": "VideoTranslationCreation",
    "VideoTranslateGet": "VideoTranslation",
    "VideoTranslateLanguagesList": "TranslationLanguages",
    "VideoTranslateProofreadsCreate": "ProofreadCreation",
    "VideoTranslateProofreadsGenerate": "ProofreadGeneration",
    "VideoTranslateProofreadsGet": "Proofread",
    "VideoTranslateProofreadsSrtGet": "ProofreadSrt",
    "VoiceList": "VoiceSummary",
    "WebhookEndpointsRotateSecret": "WebhookEndpointSecret",
}

# Enum names where the default reads badly or collides, keyed by the default name.
ENUM_NAMES: dict[str, str] = {
    "AiClippingJobOutputSettingsDurationType": "ClipDuration",
    "AvatarLookStatus": "AvatarStatus",
    "VideoCreationOutputFormat": "OutputFormat",
    "LipsyncStatus": "JobStatus",
}


# Where the SDK is stricter than HeyGen's schema: (METHOD, path) -> {body field: format}.
# A webhook endpoint receives signed events: https only, except to a loopback host, so that
# development and tests can receive on 127.0.0.1 (as for the client's base URL).
SCHEMA_FORMATS = {
    ("POST", "/v3/webhooks/endpoints"): {"url": "x-https-or-loopback"},
    ("PATCH", "/v3/webhooks/endpoints/{endpoint_id}"): {"url": "x-https-or-loopback"},
}

# Reply fields that hold secrets (a webhook endpoint's signing secret): never in a repr.
SECRET_FIELDS = {"secret"}

# Long request enums given a name (by their first value): -> (alias, models module).
LITERAL_ALIASES = {
    "avatar_video.success": ("WebhookEventName", "_gen_webhooks"),
}
