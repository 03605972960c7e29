"""`python -m webapp`: run the web service."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from webapp.app import create_app
from webapp.settings import WebSettings


def main() -> None:
    parser = argparse.ArgumentParser(description="Pinecone Supply web service")
    parser.add_argument("--port", type=int, help="overrides WEB_PORT")
    args = parser.parse_args()
    settings = WebSettings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(create_app(settings), host=settings.host, port=args.port or settings.port,
                print=None)


if __name__ == "__main__":
    main()
