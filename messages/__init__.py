"""SMS templates, gateways, the outbox, inbound SMS and delivery status (issue 3)."""
