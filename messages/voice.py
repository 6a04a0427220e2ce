"""Voice calls for pages: the TwiML a call plays (urgency, case code, "press 1"; no symptom,
name or value), placed through Twilio's Calls API with the same SDK and client as SMS. A
console gateway logs calls when Twilio is not configured."""

import logging
import uuid
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from messages.gateways import PermanentError

log = logging.getLogger(__name__)

SPOKEN = {
    "page": "This is the care team paging service. An {urgency} alert is waiting, case {case}.",
    "ask": "Press 1 to acknowledge it.",
    "missed": "No key was pressed. The alert was not acknowledged. Goodbye.",
    "done": "Case {case} acknowledged. Thank you. Goodbye.",
    "already": "Case {case} was already acknowledged. Goodbye.",
    "not_ack": "The alert was not acknowledged. Goodbye.",
}


def spell(case: str) -> str:
    """A case code read out letter by letter ("K, Y, 9, C, M")."""
    return ", ".join(case)


def page_twiml(*, urgency: str, case: str, action_url: str) -> str:
    """The call: what is waiting, then one digit; the Gather posts to `action_url`, which
    carries only an opaque token."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=8)
    text = SPOKEN["page"].format(urgency=urgency.lower(), case=spell(case))
    for _ in range(2):
        gather.say(text)
        gather.say(SPOKEN["ask"])
    response.say(SPOKEN["missed"])
    response.hangup()
    return str(response)


def reply_twiml(outcome: str, case: str) -> str:
    response = VoiceResponse()
    response.say(SPOKEN[outcome].format(case=spell(case)))
    response.hangup()
    return str(response)


class ConsoleCall:
    """The embedded default: logs each call (the outbox row stores its TwiML)."""

    def call(self, *, to: str, twiml: str, status_callback: str | None = None) -> str:
        sid = "CA" + uuid.uuid4().hex
        log.warning("console call %s to %s: %s", sid, to, twiml)
        return sid


@dataclass
class TwilioCalls:
    """Calls through the SMS gateway's Twilio client (one HTTP pool, one error mapping)."""

    sms: object  # messages.gateways.TwilioGateway
    from_number: str | None  # a voice-capable number (a Messaging Service cannot call)

    def call(self, *, to: str, twiml: str, status_callback: str | None = None) -> str:
        if not self.from_number:
            raise PermanentError("no number to call from", "no_caller_id")
        # Answering machine detection: a voicemail that picks up is not a nurse who heard it.
        kwargs = {
            "to": to,
            "from_": self.from_number,
            "twiml": twiml,
            "machine_detection": "Enable",
        }
        if status_callback:
            kwargs["status_callback"] = status_callback  # the final status: Twilio's default
        with self.sms._errors():
            return self.sms.client.calls.create(**kwargs).sid
