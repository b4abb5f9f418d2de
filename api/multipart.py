"""The GraphQL multipart request spec, server side (no batching).

https://github.com/jaydenseric/graphql-multipart-request-spec: a ``multipart/form-data`` POST
with an ``operations`` field (the usual JSON body, files as nulls), a ``map`` field
(``{"0": ["variables.input.scan"]}``) and one file part per map key. We put each file where
the map says; the ``Upload`` scalar then hands it to the resolver.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponseBadRequest
from django.utils.datastructures import MultiValueDict
from graphene_django.views import HttpError


def _bad_request(message: str) -> HttpError:
    return HttpError(HttpResponseBadRequest(message))


def operations_with_files(
    operations_json: str, map_json: str | None, files: MultiValueDict[str, UploadedFile]
) -> dict[str, Any]:
    """The ``operations`` object with every mapped file placed at its paths."""
    try:
        operations = json.loads(operations_json)
        file_map = json.loads(map_json) if map_json else {}
    except ValueError as error:
        raise _bad_request("The operations and map fields must be JSON.") from error
    if not isinstance(operations, dict):
        raise _bad_request("The operations field must be one operation object (no batching).")
    if not isinstance(file_map, dict):
        raise _bad_request("The map field must be a JSON object.")
    for key, paths in file_map.items():
        upload = files.get(key)
        if upload is None:
            raise _bad_request(f"The map names file {key!r}, which the request lacks.")
        if not isinstance(paths, list) or not paths or not all(isinstance(path, str) for path in paths):
            raise _bad_request(f"The map entry {key!r} must be a non-empty list of paths.")
        for path in paths:
            _place(operations, path, upload)
    return operations


def _place(operations: dict[str, Any], path: str, upload: UploadedFile) -> None:
    """Replace the null at ``path`` (``variables.a.0.b``) inside ``operations`` with ``upload``."""
    parts = path.split(".")
    if parts[0] != "variables" or len(parts) < 2:
        raise _bad_request(f"File path {path!r} must point inside variables.")
    container: Any = operations
    for index, part in enumerate(parts):
        key: str | int
        if isinstance(container, dict) and part in container:
            key = part
        elif isinstance(container, list) and part.isdigit() and int(part) < len(container):
            key = int(part)
        else:
            raise _bad_request(f"File path {path!r} does not exist in operations.")
        if index < len(parts) - 1:
            container = container[key]
        elif container[key] is not None:
            raise _bad_request(f"File path {path!r} must hold null in operations.")
        else:
            container[key] = upload
