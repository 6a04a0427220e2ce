"""No duplicate after a timeout where Twilio can tell: a message whose last attempt's outcome is
unknown (the answer timed out, the connection dropped, or its worker's lease ran out) is looked
up at Twilio (List Messages by To and DateSent, the body matched) before it is sent again, and
the SID found is recorded instead. The fake answers after the client's timeout and keeps the
message it answered late, as Twilio does."""

from datetime import UTC, datetime, timedelta

import pytest

from messages import outbox
from messages.gateways import gateway_from_config
from messages.policy import OutboxPolicy
from models import Message, db
from tests import fake_twilio_messages as records
from tests.fake_twilio import FakeTwilio, Fault
from tests.sms import FROM, run_dispatch, twilio_config

NOW = datetime.now(UTC).replace(microsecond=0)  # Twilio's DateSent filter is by real GMT day
NURSE = "+12025550143"
PAGE = "URGENT alert, case 7KQ2M. Review: https://care.example.org/c/abc Reply ACK 7KQ2M"


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server
        assert server.errors == []  # every lookup, too, is what Twilio accepts


@pytest.fixture
def app_config(fake):
    return twilio_config(fake)  # the client gives up after 1 s


def queue(key="p1", body=PAGE, purpose="escalation", to=NURSE, now=NOW):
    message = outbox.enqueue(
        db.session,
        purpose=purpose,
        to_phone=to,
        body=body,
        idempotency_key=key,
        now=now,
        policy=OutboxPolicy(),
    )
    db.session.commit()
    return message


def lookups(fake) -> int:
    return sum(1 for r in fake.requests if r["method"] == "GET")


def test_a_timed_out_send_that_twilio_accepted_is_found_not_sent_again(app, fake):
    message = queue()
    fake.script.append(Fault(201, delay=1.5))  # accepted, answered after the client gave up
    assert run_dispatch(app, NOW)["retried"] == 1
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("queued", "timeout")
    assert message.next_attempt_at <= NOW + timedelta(seconds=1)  # a page: the short schedule
    assert fake.wait_for(1, timeout=3)
    stats = run_dispatch(app, message.next_attempt_at)
    assert (stats["found"], stats["sent"]) == (1, 0)
    db.session.refresh(message)
    assert (message.status, message.twilio_sid) == ("sent", fake.received[0]["sid"])
    assert message.error_code is None
    assert len(fake.received) == 1 and lookups(fake) == 1


def test_a_timed_out_send_that_never_reached_twilio_is_sent_after_the_lookup(app, fake):
    message = queue()
    fake.script.append(Fault(500, delay=1.5))  # stalls, then fails: nothing accepted
    assert run_dispatch(app, NOW)["retried"] == 1
    stats = run_dispatch(app, NOW + timedelta(seconds=2))
    assert (stats["found"], stats["sent"]) == (0, 1)
    db.session.refresh(message)
    assert message.status == "sent" and len(fake.received) == 1 and lookups(fake) == 1


def test_an_identical_reminder_text_already_recorded_is_not_taken(app, fake):
    """Reminder notices all read alike: a SID another message holds is never borrowed."""
    first = queue("r1", body="You have a new message.", purpose="reminder")
    assert run_dispatch(app, NOW)["sent"] == 1
    second = queue("r2", body="You have a new message.", purpose="reminder")
    fake.script.append(Fault(500, delay=1.5))
    assert run_dispatch(app, NOW)["retried"] == 1
    later = db.session.get(Message, second.id).next_attempt_at
    stats = run_dispatch(app, later)
    assert (stats["found"], stats["sent"]) == (0, 1)
    db.session.expire_all()
    sids = {db.session.get(Message, m.id).twilio_sid for m in (first, second)}
    assert sids == {m["sid"] for m in fake.received} and len(sids) == 2


def test_a_message_whose_worker_died_is_looked_up_before_it_is_sent(app, fake):
    """The dead worker had sent it but not recorded it: the next worker finds it."""
    message = queue()
    claimed = outbox.claim_due(
        db.session, now=NOW, limit=1, worker_id="dead", policy=OutboxPolicy(lease_seconds=60)
    )
    db.session.commit()
    gateway_from_config(app.config).send(to=NURSE, body=claimed[0].body)  # then SIGKILL
    stats = run_dispatch(app, NOW + timedelta(seconds=61))
    assert (stats["found"], stats["sent"]) == (1, 0)
    db.session.refresh(message)
    assert message.twilio_sid == fake.received[0]["sid"] and len(fake.received) == 1


def test_a_failed_lookup_is_retried_and_sends_nothing_blind(app, fake):
    message = queue()
    fake.script.append(Fault(201, delay=1.5))
    run_dispatch(app, NOW)
    fake.outage = Fault(503)  # the lookup itself fails
    assert run_dispatch(app, NOW + timedelta(seconds=2))["retried"] == 1
    db.session.refresh(message)
    assert message.error_code == "timeout" and message.error_message.startswith("lookup")
    fake.outage = None
    stats = run_dispatch(app, message.next_attempt_at)
    assert stats["found"] == 1 and len(fake.received) == 1


def test_the_lookup_reads_newest_first_across_pages_and_stops_at_older_messages(app, fake):
    gateway = gateway_from_config(app.config)

    def accepted(body, ago=0.0):  # as if sent through the API, without the wait
        fake.received.append(records.accept({"To": NURSE, "From": FROM, "Body": body}))
        fake.received[-1]["received_at"] -= ago

    for i in range(250):
        accepted(f"earlier {i}", ago=3600)  # an hour before the message looked for
    sid = gateway.send(to=NURSE, body=PAGE)
    for i in range(130):
        accepted(f"later {i}")
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert gateway.find_sent(to=NURSE, body=PAGE, since=since) == [sid]  # on the second page
    before = lookups(fake)
    assert gateway.find_sent(to=NURSE, body="earlier 3", since=since) == []
    assert lookups(fake) - before == 2  # newest first: it stops at the first older message
    assert gateway.find_sent(to="+12025550100", body=PAGE, since=since) == []  # To matters
    assert {r["to"] for r in fake.requests if r["method"] == "GET"} == {NURSE, "+12025550100"}
    assert fake.received[0]["From"] == FROM
