"""Builders and GraphQL documents shared by the case, comment, moderation and visibility tests
(this module holds no tests itself)."""

from __future__ import annotations

import io
import json
from typing import Any

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import User
from network.models import AgeBand, Block, Case, CaseAudience, Comment, Connection, Sex
from tests import factories
from tests.graphql.conftest import GRAPHQL_URL, gid

# De-identified clinical text: passes the identifier guard.
TITLE = "Nam 58 tuổi đau ngực trái cấp"
PRESENTING_PROBLEM = "Đau ngực trái lan ra tay trái từ 2 giờ, vã mồ hôi"
QUESTION = "Có nên chụp mạch vành cấp cứu ngay?"
COMMENT_BODY = "Nên làm lại hs-troponin sau 3 giờ trước khi quyết định"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def case_fields(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ``services.cases.create_case`` (a valid case)."""
    return {
        "title": TITLE,
        "specialty_id": factories.specialty().pk,
        "age_band": AgeBand.ADULT_45_59,
        "sex": Sex.MALE,
        "presenting_problem": PRESENTING_PROBLEM,
        "question": QUESTION,
        **overrides,
    }


def case_input(**overrides: Any) -> dict[str, Any]:
    """A valid ``CreateCaseInput``."""
    return {
        "title": TITLE,
        "specialtyId": gid("Specialty", factories.specialty().pk),
        "ageBand": "ADULT_45_59",
        "sex": "MALE",
        "presentingProblem": PRESENTING_PROBLEM,
        "question": QUESTION,
        **overrides,
    }


def published_case(
    author: User,
    *,
    visibility: str = Case.Visibility.NETWORK,
    audience: tuple[User, ...] = (),
    status: str = Case.Status.OPEN,
    **extra: Any,
) -> Case:
    """A case as publish_case leaves it (written directly: the services are tested elsewhere)."""
    draft = status == Case.Status.DRAFT
    case = Case.objects.create(
        author=author,
        title=extra.pop("title", TITLE),
        specialty=factories.specialty(),
        age_band=AgeBand.ADULT_45_59,
        sex=Sex.MALE,
        presenting_problem=PRESENTING_PROBLEM,
        question=QUESTION,
        visibility=visibility,
        status=status,
        published_at=None if draft else extra.pop("published_at", timezone.now()),
        **extra,
    )
    CaseAudience.objects.bulk_create([CaseAudience(case=case, doctor=doctor) for doctor in audience])
    return case


def comment_on(case: Case, author: User, body: str = COMMENT_BODY, parent: Comment | None = None) -> Comment:
    return Comment.objects.create(case=case, author=author, body=body, parent=parent)


def connect(doctor: User, peer: User) -> None:
    Connection.objects.create(doctor=doctor, peer=peer)
    Connection.objects.create(doctor=peer, peer=doctor)


def block(blocker: User, blocked: User) -> None:
    Block.objects.create(blocker=blocker, blocked=blocked)


def moderator() -> User:
    """A verified doctor who moderates content."""
    person = factories.doctor()
    person.user_permissions.add(Permission.objects.get(codename="moderate_content"))
    return User.objects.get(pk=person.pk)  # fresh permission cache


def case_gid(case: Case) -> str:
    return gid("Case", case.public_id)


def comment_gid(comment: Comment) -> str:
    return gid("Comment", comment.public_id)


def doctor_gid(doctor: User) -> str:
    return gid("Doctor", doctor.public_id)


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


# What a phone photo carries that must never reach storage.
CAMERA_OWNER = "Dr Tran personal phone"
XMP_MARKER = b"patient-record-4711"


def jpeg_with_metadata() -> bytes:
    """A JPEG with EXIF (camera owner, GPS position of the ward), XMP and a comment."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = CAMERA_OWNER  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (21.0, 1.0, 42.0)
    gps[3] = "E"
    gps[4] = (105.0, 50.0, 3.0)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>'
        + XMP_MARKER
        + b"</rdf:Description></x:xmpmeta>"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, xmp=xmp, comment=b"ward 5 bed 12")
    return buffer.getvalue()


ADD_ATTACHMENT = """mutation ($caseId: ID!, $file: Upload!, $caption: String) {
    addCaseAttachment(caseId: $caseId, file: $file, caption: $caption) {
        attachment { id contentType size width height caption url isImage }
        case { id attachments { id } }
        errors { field code message spans { start end kind text } }
    }
}"""


def upload(
    client: Client, case: Case, name: str, content: bytes, content_type: str, caption: str | None = None
) -> dict[str, Any]:
    """``addCaseAttachment`` as a GraphQL multipart request; returns the payload."""
    operations = {
        "query": ADD_ATTACHMENT,
        "variables": {"caseId": case_gid(case), "file": None, "caption": caption},
    }
    response = client.post(
        GRAPHQL_URL,
        {
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(name, content, content_type),
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["addCaseAttachment"]


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]
