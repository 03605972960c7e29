"""The router: frustration scoring, the handoff queue and our own web service (chat page, later
the agent console and admin API)."""
