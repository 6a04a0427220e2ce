"""/metrics shows queue lag per purpose and the sends in flight per worker, without PHI."""

import re
from datetime import timedelta

from messages import outbox
from messages.policy import OutboxPolicy
from models import db, utcnow

NUMBER = "+12025550143"


def queue(key, purpose, *, age_seconds, due=True):
    now = utcnow()
    message = outbox.enqueue(
        db.session,
        purpose=purpose,
        to_phone=NUMBER,
        body=f"case {key} text",
        idempotency_key=key,
        now=now - timedelta(seconds=age_seconds),
        policy=OutboxPolicy(),
    )
    if not due:
        message.next_attempt_at = now + timedelta(minutes=5)  # waiting out a backoff
    return message


def claim(n, worker, *, lease_seconds=60, now=None):
    outbox.claim_due(
        db.session,
        now=now or utcnow(),
        limit=n,
        worker_id=worker,
        policy=OutboxPolicy(lease_seconds=lease_seconds),
    )


def metrics(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert NUMBER not in text and "case" not in text  # no number, no text
    samples = re.findall(r"^(besponsa_\w+(?:\{[^}]*\})?) (\S+)$", text, re.MULTILINE)
    return {name: float(value) for name, value in samples}


def test_the_oldest_unsent_message_per_purpose_and_what_is_due(client, app):
    queue("r1", "reminder", age_seconds=600)
    queue("r2", "reminder", age_seconds=30)
    queue("p1", "escalation", age_seconds=45, due=False)  # retrying: still waiting, still lag
    db.session.commit()
    seen = metrics(client)
    assert 600 <= seen['besponsa_outbox_oldest_queued_seconds{purpose="reminder"}'] < 660
    assert 45 <= seen['besponsa_outbox_oldest_queued_seconds{purpose="escalation"}'] < 105
    assert seen['besponsa_outbox_oldest_queued_seconds{purpose="system"}'] == 0
    assert seen['besponsa_outbox_due{purpose="reminder"}'] == 2
    assert seen['besponsa_outbox_due{purpose="escalation"}'] == 0


def test_sends_in_flight_per_worker_and_lapsed_leases(client, app):
    for i in range(6):
        queue(f"m{i}", "reminder", age_seconds=10)
    db.session.commit()
    claim(3, "host-a:101")
    claim(2, "host-b:202")
    claim(1, "dead:303", lease_seconds=1, now=utcnow() - timedelta(seconds=5))
    db.session.commit()
    seen = metrics(client)
    assert seen['besponsa_outbox_in_flight{worker="host-a:101"}'] == 3
    assert seen['besponsa_outbox_in_flight{worker="host-b:202"}'] == 2
    assert not any("dead:303" in name for name in seen)
    assert seen["besponsa_outbox_lapsed_leases"] == 1
    assert seen['besponsa_outbox_messages{status="sending"}'] == 6
    # Sending rows are unsent too: their age is still lag.
    assert seen['besponsa_outbox_oldest_queued_seconds{purpose="reminder"}'] >= 10


def test_an_empty_outbox_reports_zero_everywhere(client, app):
    seen = metrics(client)
    assert seen["besponsa_outbox_lapsed_leases"] == 0
    assert all(v == 0 for k, v in seen.items() if "oldest" in k or "due" in k)
