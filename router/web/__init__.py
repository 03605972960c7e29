"""Our web service (aiohttp): see app.py."""

from router.web.app import create_app

__all__ = ["create_app"]
