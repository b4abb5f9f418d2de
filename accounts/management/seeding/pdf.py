"""A one-page PDF standing in for a scanned practice licence in demo and synthetic data."""

from __future__ import annotations

from accounts.management.seeding.people import ascii_fold


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def licence_scan_pdf(lines: list[str]) -> bytes:
    """A valid single-page PDF printing ``lines`` (folded to ASCII: the standard fonts used
    without embedding cannot draw Vietnamese diacritics)."""
    text_ops = ["BT", "/F1 14 Tf", "72 770 Td", "18 TL"]
    for line in ["DEMO - NOT A REAL DOCUMENT", "", *lines]:
        text_ops.append(f"({_escape(ascii_fold(line).upper())}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    body = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref_at = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(body)
