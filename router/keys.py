"""Every Redis key the product uses, in one place. All start with one prefix, so a shared
Redis can host other things (Rasa's tracker and lock stores use their own `pinecone` prefix
in endpoints.yml)."""

from __future__ import annotations

PREFIX = "pinecone:router"

# Sorted set of conversation ids waiting for a person; the score orders the queue.
HANDOFF_QUEUE = f"{PREFIX}:handoff:queue"
# Sorted set of agent ids by their last heartbeat (unix seconds).
AGENTS_ONLINE = f"{PREFIX}:agents:online"
# Stream of tickets: messages left when no person could take over.
TICKETS = f"{PREFIX}:tickets"


def handoff_packet(conversation_id: str) -> str:
    """JSON of the handoff packet of a conversation (docs/handoff_packet.md)."""
    return f"{PREFIX}:handoff:packet:{conversation_id}"


def conversation_owner(conversation_id: str) -> str:
    """Who has the conversation: absent means the bot; "queue" or "agent:<id>" otherwise."""
    return f"{PREFIX}:conversation:{conversation_id}:owner"

# JSON of the router's settings overrides (anything not in it comes from router/defaults.yml).
ROUTER_SETTINGS = f"{PREFIX}:settings"
# Pub/sub channel announcing a settings change, so every process reloads at once.
ROUTER_SETTINGS_CHANGED = f"{PREFIX}:settings:changed"
