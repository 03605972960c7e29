"""The web service for people: the customer's chat page, the agents' console and its API,
admin work, the static files and the OpenAPI description (openapi.yml). The routing domain it
serves (scoring, the handoff queue, the relay to Rasa) is in `router/`; see app.py."""

from webapp.app import create_app

__all__ = ["create_app"]
