"""What the shop vouches for about a customer: a token its server signs and its page passes
to the chat, so the bot can trust it (today: the customer's priority in the queue).

Anything a browser sends can be made up; a signature with a secret only the shop's server and
the bot know cannot. The token is `v1.<payload>.<signature>`, both parts base64url, the
payload JSON like {"priority": 2, "exp": 1767225600}, the signature HMAC-SHA256 of the
payload part with CUSTOMER_TOKEN_SECRET. Expired, malformed or wrongly signed tokens count as
no token at all: the customer is served as everyone else is.

    python -m router.customer_token --priority 2    # a token for trying it out (1 hour)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from typing import Any, Dict, Optional

VERSION = "v1"
SECRET_VARIABLE = "CUSTOMER_TOKEN_SECRET"
PRIORITIES = (0, 1, 2)  # normal, high, urgent
MAX_TOKEN_LENGTH = 1000


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signature(secret: str, payload_part: str) -> str:
    return _b64(hmac.new(secret.encode(), payload_part.encode(), hashlib.sha256).digest())


def sign(secret: str, priority: int, expires_at: float) -> str:
    if priority not in PRIORITIES:
        raise ValueError(f"priority is one of {PRIORITIES}, got {priority!r}")
    payload = _b64(json.dumps({"priority": priority, "exp": int(expires_at)}).encode())
    return f"{VERSION}.{payload}.{_signature(secret, payload)}"


def verify(secret: str, token: Any, now: Optional[float] = None) -> Optional[Dict[str, Any]]:
    """The token's claims when it is well formed, signed with `secret` and not expired."""
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    version, _, rest = token.partition(".")
    payload_part, _, signature = rest.partition(".")
    if version != VERSION or not payload_part or not signature:
        return None
    try:
        # Bytes, so any text a client sends (non-ASCII, a lone surrogate) is just "wrong".
        if not hmac.compare_digest(signature.encode(), _signature(secret, payload_part).encode()):
            return None
        claims = json.loads(_unb64(payload_part))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        return None
    if claims["exp"] <= (time.time() if now is None else now):
        return None
    return claims


def trusted_priority(secret: str, token: Any, now: Optional[float] = None) -> int:
    """The priority the shop vouched for; 0 (normal) without a valid token."""
    claims = verify(secret, token, now) or {}
    priority = claims.get("priority")
    return priority if isinstance(priority, int) and priority in PRIORITIES else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Sign a customer token with "
                                                 f"${SECRET_VARIABLE}.")
    parser.add_argument("--priority", type=int, choices=PRIORITIES, required=True)
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    secret = os.environ.get(SECRET_VARIABLE)
    if not secret:
        print(f"Set {SECRET_VARIABLE} to the secret the bot was started with.", file=sys.stderr)
        return 2
    print(sign(secret, args.priority, time.time() + 60 * args.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
