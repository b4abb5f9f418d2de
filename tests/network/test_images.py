"""Uploaded pictures are re-encoded before storage: upright, shrunk, and with no metadata left.

Case images can show a patient; a phone photo carries where and when it was taken (EXIF GPS), the
camera and often an owner's name (EXIF, XMP, comments, PNG text chunks). None of it may survive.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin

from common.images import CASE_IMAGE_SIDE, ImageRejected, RejectionReason, reencode_image

GPS_IFD = 0x8825
MODEL, ARTIST, ORIENTATION = 0x0110, 0x013B, 0x0112
SECRETS = (b"Phone Model X", b"Dr Secret Owner", b"secret place", b"secret comment", b"hidden tail")
RED, BLUE = (220, 20, 20), (20, 20, 220)


def exif_with_location(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[MODEL] = "Phone Model X"
    exif[ARTIST] = "Dr Secret Owner"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 42.0), 3: "E", 4: (105.0, 50.0, 3.0)}
    return exif


def half_red_half_blue(size: tuple[int, int] = (3000, 1500)) -> Image.Image:
    """Red on the left half, blue on the right: shows where a rotation put the left side."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def phone_jpeg(
    orientation: int = 1, size: tuple[int, int] = (3000, 1500), *, colour_profile: bool = True
) -> SimpleUploadedFile:
    extra = {"icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()}
    buffer = io.BytesIO()
    half_red_half_blue(size).save(
        buffer,
        "JPEG",
        exif=exif_with_location(orientation),
        xmp=b"<x:xmpmeta><rdf:Description>secret place</rdf:Description></x:xmpmeta>",
        comment=b"secret comment",
        **(extra if colour_profile else {}),
    )
    return SimpleUploadedFile("IMG_0001.jpg", buffer.getvalue() + b"hidden tail", "image/jpeg")


def annotated_png() -> SimpleUploadedFile:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Dr Secret Owner")
    info.add_text("Location", "secret place", zip=True)
    info.add_itxt("Comment", "secret comment", lang="vi")
    buffer = io.BytesIO()
    Image.new("RGBA", (800, 600), (*RED, 255)).save(buffer, "PNG", pnginfo=info, exif=exif_with_location())
    return SimpleUploadedFile("ecg.png", buffer.getvalue(), "image/png")


def decoded(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def assert_no_metadata(raw: bytes) -> None:
    image = decoded(raw)
    assert not image.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(image.info)
    assert not getattr(image, "text", {})  # PNG tEXt/zTXt/iTXt
    for secret in SECRETS:
        assert secret not in raw


@pytest.mark.parametrize("colour_profile", [True, False], ids=["with ICC profile", "without"])
@pytest.mark.parametrize("orientation", [1, 6])
def test_a_phone_photo_loses_its_location_camera_xmp_comment_and_trailing_bytes(orientation, colour_profile):
    upload = phone_jpeg(orientation, colour_profile=colour_profile)
    source = Image.open(upload)
    assert source.getexif().get_ifd(GPS_IFD) and "xmp" in source.info and "comment" in source.info
    upload.seek(0)

    result = reencode_image(upload, max_side=CASE_IMAGE_SIDE)

    raw = result.content.read()
    assert_no_metadata(raw)
    assert (result.content_type, result.extension) == ("image/jpeg", "jpg")
    assert decoded(raw).format == "JPEG"


def test_png_text_chunks_and_exif_do_not_survive_and_png_stays_png():
    result = reencode_image(annotated_png(), max_side=CASE_IMAGE_SIDE)

    raw = result.content.read()
    assert_no_metadata(raw)
    assert (result.content_type, result.extension, decoded(raw).format) == ("image/png", "png", "PNG")
    assert decoded(raw).mode == "RGBA"


def test_webp_metadata_does_not_survive():
    buffer = io.BytesIO()
    half_red_half_blue((600, 400)).save(buffer, "WEBP", exif=exif_with_location(), xmp=b"<x>secret place</x>")
    result = reencode_image(SimpleUploadedFile("a.webp", buffer.getvalue()), max_side=CASE_IMAGE_SIDE)
    assert_no_metadata(result.content.read())


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera was held upright, the pixels are stored lying on their side.
    result = reencode_image(phone_jpeg(orientation=6), max_side=CASE_IMAGE_SIDE)

    image = decoded(result.content.read())
    assert image.size == (result.width, result.height) == (1024, 2048)
    # Turned a quarter clockwise: the stored left (red) half is now on top.
    top, bottom = image.getpixel((512, 200)), image.getpixel((512, 1850))
    assert top[0] > 180 and top[2] < 80
    assert bottom[2] > 180 and bottom[0] < 80


def test_large_pictures_shrink_to_the_longest_side_and_small_ones_keep_their_size():
    shrunk = reencode_image(phone_jpeg(), max_side=512)
    assert (shrunk.width, shrunk.height) == (512, 256)
    kept = reencode_image(annotated_png(), max_side=CASE_IMAGE_SIDE)
    assert (kept.width, kept.height) == (800, 600)


def test_transparency_becomes_white_in_a_jpeg():
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(buffer, "PNG")
    result = reencode_image(
        SimpleUploadedFile("a.png", buffer.getvalue()), max_side=CASE_IMAGE_SIDE, output_format="JPEG"
    )
    assert min(decoded(result.content.read()).getpixel((25, 25))) > 245


def test_a_cmyk_scan_comes_out_rgb():
    buffer = io.BytesIO()
    Image.new("CMYK", (100, 100), (0, 255, 255, 0)).save(buffer, "JPEG")
    result = reencode_image(SimpleUploadedFile("scan.jpg", buffer.getvalue()), max_side=CASE_IMAGE_SIDE)
    assert decoded(result.content.read()).mode == "RGB"


# --- Refusals -------------------------------------------------------------------------------------


def test_more_bytes_than_allowed_are_refused_before_decoding():
    with pytest.raises(ImageRejected) as refused:
        reencode_image(phone_jpeg(), max_side=CASE_IMAGE_SIDE, max_bytes=1000)
    assert refused.value.reason is RejectionReason.TOO_LARGE


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4 not a picture", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"", b"just text"],
    ids=["pdf", "broken png", "empty", "text"],
)
def test_what_is_not_an_image_is_refused(content):
    with pytest.raises(ImageRejected) as refused:
        reencode_image(SimpleUploadedFile("x.jpg", content), max_side=CASE_IMAGE_SIDE)
    assert refused.value.reason is RejectionReason.NOT_AN_IMAGE


def test_a_truncated_jpeg_is_refused():
    content = phone_jpeg().read()
    with pytest.raises(ImageRejected) as refused:
        reencode_image(SimpleUploadedFile("x.jpg", content[: len(content) // 3]), max_side=CASE_IMAGE_SIDE)
    assert refused.value.reason is RejectionReason.NOT_AN_IMAGE


def test_a_real_image_in_a_format_not_allowed_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    with pytest.raises(ImageRejected) as refused:
        reencode_image(SimpleUploadedFile("x.gif", buffer.getvalue()), max_side=CASE_IMAGE_SIDE)
    assert refused.value.reason is RejectionReason.NOT_AN_IMAGE


def png_claiming(width: int, height: int) -> bytes:
    """A tiny file whose header claims ``width`` x ``height`` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height"),
    [(9000, 9000), (40000, 40000)],
    ids=["above our limit", "above Pillow's own bomb limit"],
)
def test_a_decompression_bomb_is_refused_without_decoding_it(width, height):
    content = png_claiming(width, height)
    assert len(content) < 2000
    with pytest.raises(ImageRejected) as refused:
        reencode_image(SimpleUploadedFile("bomb.png", content), max_side=CASE_IMAGE_SIDE)
    assert refused.value.reason is RejectionReason.TOO_MANY_PIXELS


def test_the_upload_is_rewound_for_the_caller():
    upload = phone_jpeg()
    reencode_image(upload, max_side=64)
    assert upload.tell() == 0
