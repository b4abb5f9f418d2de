"""Profile photos: any common image in, a small JPEG without any metadata out, through the
one service that the web form and GraphQL both call."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts import services
from accounts.errors import AccountErrorCode
from accounts.models import User
from common.errors import ServiceError
from tests import factories
from tests.graphql.conftest import GRAPHQL_URL

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def photo_with_location(
    size: tuple[int, int] = (2000, 1500), image_format: str = "JPEG"
) -> SimpleUploadedFile:
    """A phone photo: EXIF with GPS coordinates and the camera model, and an XMP packet."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Phone Model X"  # camera model
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 50.0, 3.0)}
    buffer = io.BytesIO()
    image.save(buffer, image_format, exif=exif, xmp=b"<x:xmpmeta>secret place</x:xmpmeta>")
    return SimpleUploadedFile(
        f"photo.{image_format.lower()}", buffer.getvalue(), f"image/{image_format.lower()}"
    )


def stored(user: User) -> Image.Image:
    user.refresh_from_db()
    with user.avatar.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_a_photo_is_stored_as_a_small_jpeg_without_any_metadata(verified_doctor, image_format):
    upload = photo_with_location(image_format=image_format)
    services.update_profile(verified_doctor, avatar=upload)

    image = stored(verified_doctor)
    assert image.format == "JPEG"
    assert max(image.size) == services.AVATAR_SIDE
    assert not image.getexif()
    assert "exif" not in image.info and "xmp" not in image.info
    upload.seek(0)
    assert Image.open(upload).getexif().get_ifd(GPS_IFD)  # the input did carry a location
    with verified_doctor.avatar.open("rb") as handle:
        raw = handle.read()
    assert b"secret place" not in raw and b"Phone Model X" not in raw


def test_a_replaced_photo_is_deleted_after_commit(verified_doctor, django_capture_on_commit_callbacks):
    services.update_profile(verified_doctor, avatar=photo_with_location())
    first = verified_doctor.avatar.name
    storage = verified_doctor.avatar.storage
    # Named after the public id and a random suffix: neither the upload's name nor a sequential key.
    assert first.startswith(f"avatars/{verified_doctor.public_id}-")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_profile(verified_doctor, avatar=photo_with_location())
    assert verified_doctor.avatar.name != first
    assert not storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_profile(verified_doctor, remove_avatar=True)
    verified_doctor.refresh_from_db()
    assert not verified_doctor.avatar


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-1.4 not a photo", AccountErrorCode.FILE_TYPE_NOT_ALLOWED),
        (b"GIF89a" + b"\x00" * 20, AccountErrorCode.FILE_TYPE_NOT_ALLOWED),
        (b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), AccountErrorCode.FILE_TOO_LARGE),
    ],
    ids=["pdf", "gif", "too large"],
)
def test_other_files_are_refused_and_nothing_changes(verified_doctor, content, code):
    with pytest.raises(ServiceError) as error:
        services.update_profile(
            verified_doctor, full_name="Tên Mới", avatar=SimpleUploadedFile("a.jpg", content)
        )
    assert [(item.code, item.field) for item in error.value.errors] == [(code, "avatar")]
    verified_doctor.refresh_from_db()
    assert verified_doctor.full_name != "Tên Mới"
    assert not verified_doctor.avatar


def test_a_phone_uploads_its_photo_over_graphql(client):
    doctor = factories.doctor()
    client.force_login(doctor)
    mutation = """mutation ($input: UpdateProfileInput!) {
        updateProfile(input: $input) { doctor { avatarUrl } errors { field code } } }"""
    operations = {"query": mutation, "variables": {"input": {"avatar": None}}}
    response = client.post(
        GRAPHQL_URL,
        {
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.avatar"]}),
            "0": photo_with_location(),
        },
    )
    payload = response.json()["data"]["updateProfile"]
    assert payload["errors"] == []
    assert payload["doctor"]["avatarUrl"].startswith("http://testserver/media/avatars/")
    assert stored(doctor).format == "JPEG"


def test_a_doctor_uploads_a_photo_in_the_web_form(client):
    doctor = factories.doctor()
    client.force_login(doctor)
    response = client.post(
        "/doctors/profile/",
        {"full_name": doctor.full_name, "avatar": photo_with_location(image_format="PNG")},
    )
    assert response.status_code == 302
    assert stored(doctor).format == "JPEG"
    # Saving again without a new file keeps the photo; the "clear" box removes it.
    client.post("/doctors/profile/", {"full_name": doctor.full_name})
    assert stored(doctor)
    client.post("/doctors/profile/", {"full_name": doctor.full_name, "avatar-clear": "on"})
    doctor.refresh_from_db()
    assert not doctor.avatar
