"""Uploaded pictures, made safe to store: decoded, turned upright, shrunk and re-encoded.

Re-encoding from the decoded pixels keeps nothing of the upload but the picture: EXIF (GPS,
camera, owner), XMP, IPTC, comments, PNG text chunks and bytes hidden after the image data are
all left behind. The colour profile is applied (converted to sRGB) and then dropped too. Limits
on bytes and pixels are checked before decoding, so a decompression bomb is refused cheaply.

Callers map :class:`ImageRejected` to their own error codes and messages.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from django.core.files.base import ContentFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# A 48-megapixel phone photo passes; Pillow's own bomb warning starts at about 89 megapixels.
MAX_PIXELS = 60_000_000
CASE_IMAGE_SIDE = 2048

_OUTPUTS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


class RejectionReason(StrEnum):
    TOO_LARGE = "too_large"  # more bytes than allowed
    TOO_MANY_PIXELS = "too_many_pixels"  # dimensions beyond the limit: a decompression bomb
    NOT_AN_IMAGE = "not_an_image"  # undecodable, truncated, or a format not allowed


class ImageRejected(Exception):
    def __init__(self, reason: RejectionReason) -> None:
        self.reason = reason
        super().__init__(reason.value)


@dataclass(frozen=True)
class ReencodedImage:
    content: ContentFile
    content_type: str
    width: int
    height: int
    extension: str  # without the dot: "jpg", "png"


def reencode_image(
    upload: IO[bytes],
    *,
    max_side: int,
    formats: Iterable[str] = ("JPEG", "PNG", "WEBP"),
    max_bytes: int | None = None,
    max_pixels: int = MAX_PIXELS,
    output_format: str | None = None,
) -> ReencodedImage:
    """``upload`` decoded (only if its real format is one of ``formats``), turned upright by its
    EXIF orientation, shrunk to fit ``max_side`` and re-encoded without any metadata.

    ``output_format`` is "JPEG" or "PNG"; by default PNG stays PNG (screenshots, tracings and
    diagrams stay sharp) and everything else becomes JPEG."""
    if output_format not in (None, *_OUTPUTS):
        raise ValueError(f"Cannot write {output_format}.")
    if max_bytes is not None and _size(upload) > max_bytes:
        raise ImageRejected(RejectionReason.TOO_LARGE)
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in set(formats):
                    raise ImageRejected(RejectionReason.NOT_AN_IMAGE)
                if image.width * image.height > max_pixels:
                    raise ImageRejected(RejectionReason.TOO_MANY_PIXELS)
                source_format = image.format
                if source_format == "JPEG":
                    image.draft("RGB", (max_side, max_side))  # decode at a reduced scale: faster
                image.load()
                picture = _in_srgb(ImageOps.exif_transpose(image))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(RejectionReason.TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected(RejectionReason.NOT_AN_IMAGE) from None
    finally:
        upload.seek(0)
    target = output_format or ("PNG" if source_format == "PNG" else "JPEG")
    picture = _for_format(picture, target)
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Only the pixels go on: a fresh image carries no info dict, EXIF or comment to re-emit.
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())
    buffer = io.BytesIO()
    if target == "JPEG":
        clean.save(buffer, "JPEG", quality=85, optimize=True)
    else:
        clean.save(buffer, "PNG")
    content_type, extension = _OUTPUTS[target]
    return ReencodedImage(
        content=ContentFile(buffer.getvalue()),
        content_type=content_type,
        width=clean.width,
        height=clean.height,
        extension=extension,
    )


def _size(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if isinstance(size, int):
        return size
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _in_srgb(picture: Image.Image) -> Image.Image:
    """Colours as the embedded profile meant them (a Display P3 phone photo stays true) once the
    profile itself is dropped; a broken profile is simply ignored."""
    icc = picture.info.get("icc_profile")
    if not icc or picture.mode not in ("RGB", "RGBA", "CMYK"):
        return picture
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if picture.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(picture, source, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture
    return converted if converted is not None else picture


def _for_format(picture: Image.Image, target: str) -> Image.Image:
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if target == "PNG":
        if picture.mode in ("RGB", "RGBA", "L", "LA"):
            return picture
        return picture.convert("RGBA" if has_alpha else "RGB")
    if has_alpha:  # JPEG has no alpha: lay the picture on white rather than on black
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
