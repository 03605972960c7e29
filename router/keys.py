"""Every Redis key the product uses, in one place. All start with one prefix, so a shared
Redis can host other things (Rasa's tracker and lock stores use their own `pinecone` prefix
in endpoints.yml)."""

from __future__ import annotations

PREFIX = "pinecone:router"

# --- Rasa's tracker store (Rasa writes it; the what-if replay, router/stored_trackers.py,
# reads it) ---------------------------------------------------------------------------------
# Rasa's RedisTrackerStore keeps each conversation as one JSON string (`{"events": [...],
# "name": sender id}`) under "<key_prefix>:tracker:<sender id>": key_prefix "pinecone" in
# endpoints.yml, "tracker:" Rasa's own. Outside PREFIX because Rasa names it.
RASA_TRACKER_PREFIX = "pinecone:tracker:"
# SCAN pattern of every stored conversation.
RASA_TRACKERS = f"{RASA_TRACKER_PREFIX}*"


def rasa_tracker(conversation_id: str) -> str:
    """String: Rasa's stored tracker of one conversation (every session, as JSON)."""
    return f"{RASA_TRACKER_PREFIX}{conversation_id}"


# --- The handoff queue -------------------------------------------------------------------
# Sorted set of conversation ids waiting for a person; the lowest score is served first
# (router/handoff/ordering.py explains the score).
HANDOFF_QUEUE = f"{PREFIX}:handoff:queue"
# Pub/sub channel: the queue or an assignment changed (console views and position updates).
QUEUE_CHANGED = f"{PREFIX}:handoff:changed"
# Hash conversation id -> the place in line the customer was last told.
QUEUE_TOLD_POSITION = f"{PREFIX}:handoff:told"
# List of recent handling times in seconds (newest first), for the estimated wait.
HANDLE_TIMES = f"{PREFIX}:handoff:handle_times"


def handoff_packet(conversation_id: str) -> str:
    """JSON of the handoff packet of a conversation (docs/handoff_packet.md)."""
    return f"{PREFIX}:handoff:packet:{conversation_id}"


def handoff_state(conversation_id: str) -> str:
    """Hash: enqueued_at, team, priority, agent_id, claimed_at (the latest claim),
    first_claimed_at, returned_at (put back in line) of a handed-off conversation;
    feed_from (the feed's last line before this handoff, '' if none); customer_lines,
    last_customer_line_id, last_customer_line_at as its feed grows; expiry_ticket (the
    ticket made when the customer waited too long, router/relay/housekeeping.py)."""
    return f"{PREFIX}:handoff:state:{conversation_id}"


def conversation_owner(conversation_id: str) -> str:
    """Who has the conversation: absent means the bot; "queue" or "agent:<id>" otherwise.
    The one source of truth: the bot stays silent whenever this key exists."""
    return f"{PREFIX}:conversation:{conversation_id}:owner"


def conversation_feed(conversation_id: str) -> str:
    """Stream of the conversation's lines while a person has it (written inside Rasa)."""
    return f"{PREFIX}:conversation:{conversation_id}:feed"


# --- Agents ------------------------------------------------------------------------------
# Set of every agent id.
AGENT_IDS = f"{PREFIX}:agents"
# Sorted set of signed-in agents by last heartbeat (unix seconds), online or away.
AGENTS_SEEN = f"{PREFIX}:agents:seen"
# Sorted set of agents who are online (taking conversations), by last heartbeat.
AGENTS_ONLINE = f"{PREFIX}:agents:online"


def agent(agent_id: str) -> str:
    """Hash: name, role, password_hash, capacity, teams, presence, created_at, disabled
    ("1" when an admin has disabled the account)."""
    return f"{PREFIX}:agent:{agent_id}"


def agent_conversations(agent_id: str) -> str:
    """Set of the conversation ids an agent has now."""
    return f"{PREFIX}:agent:{agent_id}:conversations"


def agent_customer_lines(agent_id: str) -> str:
    """Pub/sub channel: a customer wrote in one of the agent's conversations (the message is
    its id), so only that agent's console refreshes its unread counts."""
    return f"{PREFIX}:agent:{agent_id}:customer_lines"


def agent_sessions(agent_id: str) -> str:
    """Set of the hashes of an agent's session tokens (to end them all, e.g. on a new
    password)."""
    return f"{PREFIX}:agent:{agent_id}:sessions"


def session(token_hash: str) -> str:
    """An agent's sign-in session (by the hash of its token), expiring on its own."""
    return f"{PREFIX}:session:{token_hash}"


# --- The relay to Rasa -------------------------------------------------------------------
# Stream of commands for Rasa (agent lines, notices, resume), delivered by a consumer group.
RELAY_OUTBOX = f"{PREFIX}:relay:outbox"
RELAY_GROUP = "delivery"
# Stream of lines Redis refused to store in a conversation's feed (not "unreachable": refused,
# e.g. text no store can hold), kept for admins with the reason, so the rest flow on.
RELAY_DEAD_LETTERS = f"{PREFIX}:relay:dead_letters"


def handoffs_by_client(client: str) -> str:
    """Count of a client's (a keyed hash of its address) handoffs this hour; expires."""
    return f"{PREFIX}:handoff:client:{client}"


def tickets_by_client(client: str) -> str:
    """Count of a client's tickets (messages left for the team) this hour; expires."""
    return f"{PREFIX}:tickets:client:{client}"


def relay_request(request_id: str) -> str:
    """Marks a client's request id as seen, so a retried send is not delivered twice."""
    return f"{PREFIX}:relay:request:{request_id}"


# --- Settings ----------------------------------------------------------------------------
# JSON of the router's settings overrides (anything not in it keeps its default, from
# router/scoring/settings.py).
ROUTER_SETTINGS = f"{PREFIX}:settings"
# Pub/sub channel announcing a settings change, so every process reloads at once.
ROUTER_SETTINGS_CHANGED = f"{PREFIX}:settings:changed"
# List of every settings change as JSON (router/settings_versions.py): version N at index
# N - 1, with who, when, the comment, the overrides and the diff. Never expires: it is the
# audit trail (a change is a few hundred bytes, and admins make a handful a week).
ROUTER_SETTINGS_VERSIONS = f"{PREFIX}:settings:versions"

# --- Metrics (router/metrics.py) --------------------------------------------------------
# Hash of event counters, counted in whichever process the event happens (Rasa, the action
# server, the web service): field = JSON list [metric name, label values...] -> count. The web
# service's /metrics exports them (webapp/metrics.py).
METRIC_COUNTERS = f"{PREFIX}:metrics:counters"

# --- Feedback ----------------------------------------------------------------------------
# Stream of customers' ratings of the person who helped them (conversation_id, rating, agent).
HANDOFF_RATINGS = f"{PREFIX}:handoff:ratings"


# --- Sign-in lockout (router/agents/lockout.py) -------------------------------------------
# Every counter expires a while after its last attempt: a lock lifts on its own.


def sign_in_attempts(agent_id: str, address: str) -> str:
    """Count of recent sign-in attempts on an account from one client address that the right
    password has not cleared (the lock a stranger elsewhere cannot set off)."""
    return f"{PREFIX}:agent:{agent_id}:sign_in_attempts:{address}"


def account_sign_in_attempts(agent_id: str) -> str:
    """Count of recent failed sign-in attempts on an account from anywhere (the ceiling that
    slows a guesser spread over many addresses)."""
    return f"{PREFIX}:agent:{agent_id}:sign_in_attempts"


def sign_in_attempt_keys(agent_id: str) -> str:
    """Set of the account's per-address counters (their key names), so an admin's unlock can
    clear them all at once."""
    return f"{PREFIX}:agent:{agent_id}:sign_in_attempt_keys"


def sign_in_known_addresses(agent_id: str) -> str:
    """Set of the addresses the account signed in from with the right password lately: the
    account-wide ceiling does not apply to them, so guessing from elsewhere cannot lock the
    real person out."""
    return f"{PREFIX}:agent:{agent_id}:sign_in_known_addresses"


# --- Proof of owning an order (actions/ownership.py) ------------------------------------


def order_email_guesses(order_id: str) -> str:
    """Count of wrong emails given for an order this hour, in any conversation; expires."""
    return f"{PREFIX}:order:{order_id}:email_guesses"


# --- Tickets (router/tickets.py) --------------------------------------------------------
# Never expire: a ticket is a promise to answer a customer.


def ticket(reference: str) -> str:
    """Hash of one ticket by its reference (e.g. PC-7K3Q9): conversation_id, message, email,
    packet (JSON), status, created_at, answered_at, answer, answered_by, closed_at."""
    return f"{PREFIX}:ticket:{reference}"


def tickets_with_status(status: str) -> str:
    """Sorted set of the references of tickets with `status` (open, answered, closed), by
    created_at: the oldest first."""
    return f"{PREFIX}:tickets:status:{status}"


# --- History (router/history.py) ----------------------------------------------------------
# Every handoff that ended (resolved, handed back, or a ticket after waiting too long) is kept
# as a case, searchable, for as long as history is kept (each case expires on its own; the
# indexes below drop what has expired when they meet it).
# Counter of case numbers.
HISTORY_NEXT_CASE = f"{PREFIX}:history:next_case"
# Sorted set of case numbers by when the handoff ended.
HISTORY_CASES = f"{PREFIX}:history:cases"
# Set of case numbers not yet in the search index (made in the step that ends the handoff,
# indexed right after, or by the housekeeping if the process died in between).
HISTORY_UNINDEXED = f"{PREFIX}:history:unindexed"
# Sorted set of the case numbers agents labelled (router/handoff_labels.py: was bringing in a
# person needed, too early, too late?), by when last labelled; read by router/learning.py.
# Numbers whose case has expired are dropped when met.
HISTORY_LABELLED = f"{PREFIX}:history:labelled"


def history_case(case_id: str) -> str:
    """Hash of one ended handoff: case_id, conversation_id, packet (JSON), lines (JSON: the
    feed since the handoff), enqueued_at, claimed_at, team, agent_id, outcome, ended_at,
    rating, rated_at; label, labelled_by, labelled_at once an agent labels the handoff."""
    return f"{PREFIX}:history:case:{case_id}"


def history_of_conversation(conversation_id: str) -> str:
    """Sorted set of a conversation's cases by when they ended (a customer who comes back on
    the same channel keeps their conversation id)."""
    return f"{PREFIX}:history:conversation:{conversation_id}"


def history_term(term: str) -> str:
    """Sorted set of what mentions a search term (an order number, an email, a conversation
    id; router/search_terms.py), by time: members are "case:<n>" and "ticket:<reference>"."""
    return f"{PREFIX}:history:term:{term}"


# --- Typing indicators (router/typing_signals.py) ------------------------------------------
# Pub/sub only: a sign that someone is typing is worth nothing a few seconds later.


def customer_typing(conversation_id: str) -> str:
    """Pub/sub channel: the customer is typing (the agent's console shows it)."""
    return f"{PREFIX}:typing:customer:{conversation_id}"


def customer_typing_gate(conversation_id: str) -> str:
    """Set for a moment after a customer's typing is passed on: however many sockets a page
    (or a script) opens, the console hears one signal per moment (expires on its own)."""
    return f"{PREFIX}:typing:customer_gate:{conversation_id}"


def agent_typing(conversation_id: str) -> str:
    """Pub/sub channel: the agent is typing (the customer's chat page shows it)."""
    return f"{PREFIX}:typing:agent:{conversation_id}"


# Every conversation's agent_typing channel, for the web chat channel in Rasa to follow.
AGENT_TYPING_PATTERN = agent_typing("*")
