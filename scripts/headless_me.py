#!/usr/bin/env python3
"""Sign in the way a mobile app does and ask GraphQL who we are. Standard library only.

    python scripts/headless_me.py http://127.0.0.1:8000 bacsi01@tuyen.test tuyen-demo-2026

1. POST /_allauth/app/v1/auth/login (allauth headless, "app" client) returns meta.session_token.
2. POST /graphql/ with the header X-Session-Token runs { me { ... } }.
3. DELETE /_allauth/app/v1/auth/session logs out; the token stops working at once.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import Any


def call(
    method: str, url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (caller's URL)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Session-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def main(base: str, email: str, password: str) -> int:
    status, login = call("POST", f"{base}/_allauth/app/v1/auth/login", {"email": email, "password": password})
    if status != 200:
        print(f"login failed ({status}): {json.dumps(login, ensure_ascii=False)}", file=sys.stderr)
        return 1
    token = login["meta"]["session_token"]
    query = "{ me { id fullName title verificationStatus facility { name tier } } }"
    status, result = call("POST", f"{base}/graphql/", {"query": query}, token)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    logout_status, _ = call("DELETE", f"{base}/_allauth/app/v1/auth/session", token=token)
    after_status, _ = call("POST", f"{base}/graphql/", {"query": "{ me { id } }"}, token)
    print(f"logout: {logout_status}; same token afterwards: HTTP {after_status}")
    return 0 if status == 200 and result.get("data", {}).get("me") else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(*sys.argv[1:]))
