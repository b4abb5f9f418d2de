"""Vietnamese is the default language: every string in the code must be in the Vietnamese
catalogue, translated (not empty, not fuzzy), with its placeholders intact, and compiled into
the committed .mo file (fresh machines have no gettext to compile it).

allauth ships no Vietnamese catalogue, so ``locale/allauth`` carries one for the account, MFA
and session pages; it is held to the same standard."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
VI_PO = LOCALE / "vi" / "LC_MESSAGES" / "django.po"
EN_MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"
ALLAUTH_LOCALE = LOCALE / "allauth"
VIETNAMESE_CATALOGUES = [VI_PO, ALLAUTH_LOCALE / "vi" / "LC_MESSAGES" / "django.po"]
catalogues = pytest.mark.parametrize("po", VIETNAMESE_CATALOGUES, ids=["tuyen", "allauth"])


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def read_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for catalogues written by makemessages (obsolete entries skipped)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            entry, target = None, None
            continue
        if line.startswith("#"):
            if entry is None:
                entry = Entry(line=number)
                entries.append(entry)
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if entry is None or (keyword in {"msgid", "msgctxt"} and target and target[0] == "msgstr"):
                entry = Entry(line=number)
                entries.append(entry)
            if keyword == "msgstr":
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = value
            else:
                target = (keyword, 0)
                setattr(entry, keyword, value)
        elif line.startswith('"') and entry is not None and target is not None:
            value = _unquote(line)
            if target[0] == "msgstr":
                entry.msgstr[target[1]] += value
            else:
                setattr(entry, target[0], getattr(entry, target[0]) + value)
    return entries


def messages(path: Path) -> list[Entry]:
    return [entry for entry in read_po(path) if entry.msgid]


def header(path: Path) -> Entry:
    return next(entry for entry in read_po(path) if not entry.msgid and entry.msgctxt is None)


@catalogues
def test_the_vietnamese_catalogue_declares_its_language_and_plural_forms(po):
    head = header(po)
    assert "fuzzy" not in head.flags
    assert "Language: vi\n" in head.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in head.msgstr[0]
    assert "charset=UTF-8" in head.msgstr[0]


@catalogues
def test_every_message_is_translated_to_vietnamese(po):
    problems = [
        f"line {entry.line}: {entry.msgid!r}"
        + (" is fuzzy" if "fuzzy" in entry.flags else " has no translation")
        for entry in messages(po)
        if "fuzzy" in entry.flags or not entry.msgstr or not all(entry.msgstr.values())
    ]
    assert not problems, f"Translate in {po.relative_to(LOCALE.parent)}:\n" + "\n".join(problems)


PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")


@catalogues
def test_translations_keep_every_placeholder(po):
    problems = []
    for entry in messages(po):
        if "python-format" not in entry.flags:
            continue
        expected = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for translation in entry.msgstr.values():
            if sorted(PLACEHOLDER.findall(translation)) != expected and translation:
                problems.append(f"line {entry.line}: {entry.msgid!r} -> {translation!r}")
    assert not problems, "\n".join(problems)


@catalogues
def test_the_compiled_catalogue_matches_the_source(po):
    with po.with_suffix(".mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = []
    for entry in messages(po):
        if entry.msgid_plural is not None:
            found = (
                catalogue.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                if entry.msgctxt
                else (catalogue.ngettext(entry.msgid, entry.msgid_plural, 1))
            )
        elif entry.msgctxt:
            found = catalogue.pgettext(entry.msgctxt, entry.msgid)
        else:
            found = catalogue.gettext(entry.msgid)
        if found != entry.msgstr.get(0, ""):
            stale.append(entry.msgid)
    assert not stale, "Run `make messages` (compilemessages) and commit the .mo files. Stale: " + repr(
        stale[:5]
    )


def test_allauth_pages_are_in_vietnamese(client, settings):
    if ALLAUTH_LOCALE not in map(Path, settings.LOCALE_PATHS):
        settings.LOCALE_PATHS = [*settings.LOCALE_PATHS, ALLAUTH_LOCALE]

    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()

    assert "Ghi nhớ đăng nhập" in html
    assert "Nếu bạn chưa có tài khoản" in html


def test_the_english_catalogue_is_compiled():
    with EN_MO.open("rb") as compiled:
        gettext.GNUTranslations(compiled)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Extract the strings again into a copy of the tree and compare with the committed catalogue."""
    source = Path(settings.BASE_DIR)
    copy = tmp_path / "tree"
    ignored = shutil.ignore_patterns(".venv", "var", ".git", "*cache*", "__pycache__", "node_modules", "*.mo")
    shutil.copytree(source, copy, ignore=ignored)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_ENV": "test",
        "DATABASE_URL": "postgresql://messages@localhost/messages",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "vi", "--ignore=.venv", "--ignore=var"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    in_code = {entry.key for entry in messages(copy / "locale" / "vi" / "LC_MESSAGES" / "django.po")}
    assert (None, "Review queue") in in_code  # the extraction did run
    in_catalogue = {entry.key for entry in messages(VI_PO)}
    missing = sorted(msgid for _context, msgid in in_code - in_catalogue)
    assert not missing, "Run `make messages` and translate:\n" + "\n".join(missing)
