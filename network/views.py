"""Web endpoints of the network that GraphQL cannot serve: downloading case attachments."""

from __future__ import annotations

from pathlib import PurePath

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from accounts.models import User
from api.auth import SESSION_TOKEN_HEADER, user_for_session_token
from audit import services as audit
from network.selectors.cases import attachment_visible_to
from network.selectors.moderation import attachment_under_review


def _requester(request: HttpRequest) -> User | None:
    """The app's ``X-Session-Token`` user if the header is sent (never falling back to the
    cookie), else the signed-in web user."""
    if SESSION_TOKEN_HEADER in request.headers:
        return user_for_session_token(request.headers[SESSION_TOKEN_HEADER])
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


@require_GET
def case_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Stream a case attachment to someone who may see the case (or a moderator reviewing a
    report on it), and log the viewing. Everyone else gets a 404, as for a missing file, so the
    view does not reveal which attachments exist."""
    user = _requester(request)
    attachment = attachment_visible_to(user, attachment_id)
    as_moderator = False
    if attachment is None:
        attachment = attachment_under_review(user, attachment_id)
        as_moderator = attachment is not None
    if attachment is None:
        raise Http404
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    audit.record(
        "case.attachment_viewed",
        actor=user,
        target=attachment,
        details={"case_id": attachment.case_id, "as_moderator": as_moderator},
    )
    extension = PurePath(attachment.file.name).suffix  # the service names files by their real type
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"case-{attachment.case.public_id}-{attachment.pk}{extension}",
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
