"""Testing toolkit: FakeHeyGen, a loopback HeyGen for your tests and demos.

```python
from heygen_async.testing import FakeHeyGen

async with FakeHeyGen(step_seconds=0.05) as fake:
    async with fake.client() as client:
        session = await client.video_agents.create(prompt="A 30 s product teaser")
```
With pytest, the `heygen_fake` fixture gives a started FakeHeyGen. For unit tests without a
server, `MockTransport(handler)` answers every request from a function.
"""

from ._app import RecordedRequest
from ._clock import Clock
from ._fake import FakeHeyGen
from ._faults import Fault
from ._jobs import FakeJob, JobKind
from ._mock import MockRequest, MockResponse, MockTransport
from ._state import FakeSession, FakeVideo
from ._webhook_sender import DeliveryPolicy, FakeDelivery, WebhookFaults
from ._webhooks import FakeEvent

__all__ = [
    "Clock",
    "DeliveryPolicy",
    "FakeDelivery",
    "FakeEvent",
    "FakeHeyGen",
    "FakeJob",
    "FakeSession",
    "FakeVideo",
    "Fault",
    "JobKind",
    "MockRequest",
    "MockResponse",
    "MockTransport",
    "RecordedRequest",
    "WebhookFaults",
]
