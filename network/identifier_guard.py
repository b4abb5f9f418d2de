"""The patient-identifier guard: finds what would identify a patient in a case or a comment.

Case text is clinical discussion between doctors, so the guard refuses text that names a patient
or points at them: citizen and old ID numbers, phone numbers, health-insurance numbers, e-mail
addresses, exact dates of birth, medical record numbers (the *structured* kinds, found by their
shape and their labels) and patient names and street addresses (found by the words around them).

Decisions, kept in one place so tests and authors can rely on them:

- Offsets index the text exactly as submitted (Python code points), NFC or not. Matching folds
  diacritics away (``Nguyễn`` and ``Nguyen`` and a decomposed ``Nguyễn`` all match), and a span
  always covers the combining marks of its last letter.
- Every phone number is flagged, the hospital's switchboard included: the guard cannot tell a
  ward's line from a relative's mobile, and a case needs neither. Short service numbers (115,
  1800/1900 hotlines) are not personal and pass.
- A birth year ("sinh năm 1980"), an age ("65 tuổi") and other dates (admission, surgery, tests)
  pass; a date counts as a date of birth when labelled ("sinh ngày", "ngày sinh", "NS:", "DOB"),
  when it follows the patient's name, or when the age next to it says so ("12/03/1958, 65 tuổi").
- Provinces alone pass ("BN ở Hà Nội"); street-level and village-level places are addresses
  (house numbers, ngõ/ngách/hẻm/kiệt, phố/đường + name, tổ/thôn/xóm/ấp/bản/khu phố), with the
  ward, commune and district that follow them. "Trạm y tế xã..." or "bệnh viện huyện..." alone
  is a facility, not an address.
- Initials after a patient word ("BN N.V.A") are flagged, as journals ask (ICMJE); a name after a
  doctor's title ("BS Trần Văn B") or a facility word ("BV Nguyễn Tri Phương") is not a patient.
- ICD-10 codes, doses, lab values, money and counts pass.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import FieldError, ServiceError, TextSpan
from network.errors import NetworkErrorCode


class IdentifierKind(StrEnum):
    """What a span identifies; the values are published (GraphQL ``spans.kind``), never renamed."""

    CITIZEN_ID = "CITIZEN_ID"
    OLD_ID_NUMBER = "OLD_ID_NUMBER"
    PHONE_NUMBER = "PHONE_NUMBER"
    HEALTH_INSURANCE_NUMBER = "HEALTH_INSURANCE_NUMBER"
    EMAIL = "EMAIL"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    STREET_ADDRESS = "STREET_ADDRESS"
    MEDICAL_RECORD_NUMBER = "MEDICAL_RECORD_NUMBER"
    PATIENT_NAME = "PATIENT_NAME"


# Found by shape and label: the guard's recall target (>= 0.99) is measured on these.
STRUCTURED_KINDS = frozenset(
    {
        IdentifierKind.CITIZEN_ID,
        IdentifierKind.OLD_ID_NUMBER,
        IdentifierKind.PHONE_NUMBER,
        IdentifierKind.HEALTH_INSURANCE_NUMBER,
        IdentifierKind.EMAIL,
        IdentifierKind.DATE_OF_BIRTH,
        IdentifierKind.MEDICAL_RECORD_NUMBER,
    }
)

KIND_LABELS = {
    IdentifierKind.CITIZEN_ID: gettext_lazy("citizen ID number"),
    IdentifierKind.OLD_ID_NUMBER: gettext_lazy("ID card number"),
    IdentifierKind.PHONE_NUMBER: gettext_lazy("phone number"),
    IdentifierKind.HEALTH_INSURANCE_NUMBER: gettext_lazy("health insurance number"),
    IdentifierKind.EMAIL: gettext_lazy("e-mail address"),
    IdentifierKind.DATE_OF_BIRTH: gettext_lazy("date of birth"),
    IdentifierKind.STREET_ADDRESS: gettext_lazy("address"),
    IdentifierKind.MEDICAL_RECORD_NUMBER: gettext_lazy("medical record number"),
    IdentifierKind.PATIENT_NAME: gettext_lazy("patient name"),
}


def find_identifiers(text: str) -> list[TextSpan]:
    """Every patient identifier in ``text``, in order, without overlaps.

    ``start``/``end`` index ``text`` as given; ``kind`` is an :class:`IdentifierKind` value."""
    if not text:
        return []
    folded = _fold(text)
    candidates: list[_Candidate] = []
    for finder in _FINDERS:
        candidates.extend(finder(folded))
    # Where candidates overlap, the likelier kind wins (e-mail over the digits in it, a labelled
    # record number over the phone-like number it is), then the longer span.
    chosen: list[_Candidate] = []
    starts: list[int] = []
    for candidate in sorted(candidates, key=lambda c: (-c.priority, -(c.end - c.start), c.start)):
        at = bisect.bisect_left(starts, candidate.start)
        if at < len(chosen) and chosen[at].start < candidate.end:
            continue
        if at > 0 and chosen[at - 1].end > candidate.start:
            continue
        chosen.insert(at, candidate)
        starts.insert(at, candidate.start)
    spans = []
    for candidate in chosen:
        start, end = folded.original_span(candidate.start, candidate.end)
        spans.append(TextSpan(start=start, end=end, kind=str(candidate.kind), text=text[start:end]))
    return spans


def ensure_deidentified(fields: Mapping[str, str]) -> None:
    """Refuse text that identifies a patient: one error per offending field, with every span.

    ``fields`` maps the field name to show (camelCase, as the client sent it) to its text.
    Raises :class:`ServiceError` with code ``PATIENT_IDENTIFIER``; callers store nothing then."""
    errors: list[FieldError] = []
    for field, value in fields.items():
        spans = find_identifiers(value or "")
        if not spans:
            continue
        kinds = list(dict.fromkeys(IdentifierKind(span.kind) for span in spans))
        errors.append(
            FieldError(
                code=NetworkErrorCode.PATIENT_IDENTIFIER,
                message=_("Remove what identifies the patient: %(kinds)s.")
                % {"kinds": ", ".join(str(KIND_LABELS[kind]) for kind in kinds)},
                field=field,
                spans=tuple(spans),
            )
        )
    if errors:
        raise ServiceError.many(errors)


# --- Folding: diacritics away, offsets kept ----------------------------------------------------


class _FoldTable(dict[int, str]):
    """``str.translate`` table: each character to one ASCII-ish character, combining marks to
    nothing. Filled lazily, so any alphabet passes through unchanged."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in "đĐ":  # NFKD keeps the stroke: fold it by hand
            folded = "d" if char == "đ" else "D"
        elif unicodedata.combining(char):
            folded = ""
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            folded = base if len(base) == 1 else char
        self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


@dataclass(frozen=True)
class _Folded:
    """The text with diacritics folded away; ``origin[i]`` is where folded character ``i`` came
    from (``None`` when nothing was dropped, so offsets are equal)."""

    original: str
    text: str
    origin: list[int] | None
    accented: bool  # whether the author typed any diacritics at all

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if self.origin is None:
            return start, end
        # origin has a sentinel at the end; origin[end] is the next kept character, so the span
        # takes the combining marks that follow its last letter.
        return self.origin[start], self.origin[end]

    def original_text(self, start: int, end: int) -> str:
        begin, finish = self.original_span(start, end)
        return self.original[begin:finish]


def _fold(text: str) -> _Folded:
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text):
        return _Folded(text, folded, None, folded != text)
    origin = [index for index, char in enumerate(text) if _FOLD_TABLE[ord(char)]]
    origin.append(len(text))
    return _Folded(text, folded, origin, True)


def _written_as(folded: _Folded, start: int, end: int, *accented: str) -> bool:
    """Whether the original words at [start, end) are one of ``accented`` or carry no diacritics
    at all: "ấp" or "ap" is a hamlet, "áp" (pressure) is not."""
    original = unicodedata.normalize("NFC", folded.original_text(start, end)).lower()
    return original in accented or original == folded.text[start:end].lower()


def _has_diacritics(folded: _Folded, start: int, end: int) -> bool:
    return folded.original_text(start, end) != folded.text[start:end]


@dataclass(frozen=True)
class _Candidate:
    """A span of the folded text; where candidates overlap the higher priority wins: an e-mail
    (100) over the digits in it, a labelled record number (85) over a phone-like value (70)."""

    start: int
    end: int
    kind: IdentifierKind
    priority: int


# --- Shared patterns ---------------------------------------------------------------------------

_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def _is_syllable(word: str) -> bool:
    """A Vietnamese syllable once folded (so "Nguyễn" is and "Diabetes" is not)."""
    return _SYLLABLE.fullmatch(word.lower()) is not None


# The commonest Vietnamese family names, folded: an unlabelled name must start with one.
_SURNAME_WORDS = (
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh doan lam trinh mai "
    "truong cao luong lu ha ta quach kieu chu la vuong thai tang trieu luu tong khuc mac quan ton "
    "diep lai nong thach lo luc giang au kha tieu van banh khong ong bach"
)
SURNAMES = frozenset(_SURNAME_WORDS.split())

# Every alternative of the keyword patterns starts a word: this prefix makes the engine skip the
# other positions at once instead of trying each keyword there (about twice as fast).
_WORD_START = r"(?<![A-Za-z0-9_])(?=[A-Za-z])"
_MONTH_NAMES = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_MONTH_WORDS = "jan feb mar apr may jun jul aug sep oct nov dec"
_MONTHS = {name: index for index, name in enumerate(_MONTH_WORDS.split(), 1)}
_DATE = re.compile(
    r"(?<![0-9])(?=[0-9]|[mjfasond])(?:"
    r"(?P<d1>\d{1,2})\s?(?P<s1>[/.\-])\s?(?P<m1>\d{1,2})\s?(?P=s1)\s?(?P<y1>\d{4}|\d{2})(?!\d)"
    r"|(?P<y2>(?:19|20)\d{2})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2})(?!\d)"
    r"|(?:(?:mung|mong)\s+)?(?P<d3>\d{1,2})\s+thang\s+(?P<m3>\d{1,2})(?:\s*,?\s*nam\s+|\s*[,/]\s*)"
    r"(?P<y3>\d{4})"
    r"|(?P<d4>\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+(?P<mn4>" + _MONTH_NAMES + r"),?[\s\-/.]+(?P<y4>\d{4})"
    r"|(?P<mn5>" + _MONTH_NAMES + r")\s+(?P<d5>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y5>\d{4})"
    r")",
    re.IGNORECASE,
)
# After "ngày sinh" a day and month alone is still part of a date of birth.
_DAY_MONTH = re.compile(r"(?P<d>\d{1,2})\s?[/.\-]\s?(?P<m>\d{1,2})(?![\d/.\-]|\s?[/.\-]\s?\d)")


def _filler(text: str, start: int, end: int, max_words: int = 6) -> bool:
    """Whether text[start:end] only joins a label to its value: no digits, no sentence end, a few
    words at most ("Thẻ BHYT mẫu mới, mã số ...", "Số máy bàn nhà BN ...")."""
    gap = text[start:end]
    if any(char.isdigit() for char in gap) or re.search(r"[;\n]|\.\s", gap):
        return False
    return len(_WORD.findall(gap)) <= max_words


_WORD = re.compile(r"[A-Za-z]+")


# --- E-mail ------------------------------------------------------------------------------------

_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*(?:@|\s?[\[(]\s?at\s?[\])]\s?)" + _DOMAIN, re.IGNORECASE
)


_EMAIL_HINT = re.compile(r"@|[\[(]\s?at\s?[\])]", re.IGNORECASE)


def _emails(folded: _Folded) -> Iterator[_Candidate]:
    if not _EMAIL_HINT.search(folded.text):  # most texts have none: skip the costly scan
        return
    for match in _EMAIL.finditer(folded.text):
        yield _Candidate(match.start(), match.end(), IdentifierKind.EMAIL, 100)


# --- Health-insurance card (BHYT): 2 letters, benefit digit, province, 10-digit BHXH number ----

_BHYT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[ .\-]?[1-5](?:[ .\-]?\d){12}(?!\d)")


def _insurance_cards(folded: _Folded) -> Iterator[_Candidate]:
    for match in _BHYT.finditer(folded.text):
        yield _Candidate(match.start(), match.end(), IdentifierKind.HEALTH_INSURANCE_NUMBER, 90)


# --- Numbers: citizen IDs, old IDs, phones, labelled insurance numbers -------------------------

# A run of digit groups joined by single separators; "(024) 3869 3731" and "+84 912 345 678" too.
_RUN = re.compile(
    r"(?<![\w.,/+\-])(?:\(\+?\d{1,4}\)|\+?\d+)(?:(?:[ .\-]|\u00a0|(?<=\)))(?:\(\d{1,4}\)|\d+))*(?![\w/])"
)
_GROUP = re.compile(r"\d+")
# Typed without a space after the label ("SĐT0912345678"), or two numbers with a slash.
_GLUED_PHONE = re.compile(r"(?<=[A-Za-z])(?:\+?84|0)(?:[35789]\d{8}|2\d{9})(?!\d)")
_SLASHED_PHONES = re.compile(r"(?<![\w.,/+\-])(?P<a>0\d{9,10})\s?/\s?(?P<b>0\d{9,10})(?![\w/])")

_NUMBER_LABEL = re.compile(
    r"(?P<cccd>\bcccd|\bcan\s+cuoc(?:\s+cong\s+dan)?|\bso\s+dinh\s+danh(?:\s+ca\s+nhan)?"
    r"|\bma\s+dinh\s+danh(?:\s+ca\s+nhan)?|\bcitizen\s+id|\bnational\s+id(?:\s+number)?|\bid\s+card(?:\s+number)?)"
    r"|(?P<cmnd>\bcmnd|\bcmt(?:nd)?|\bchung\s+minh\s+(?:nhan\s+dan|thu)|\bgiay\s+chung\s+minh)"
    r"|(?P<phone>\bs\.?\s?dt\b|\bdt(?=\s*:)|\bdtdd|\bdien\s+thoai|\bso\s+may|\bso\s+di\s+dong|\bdi\s+dong"
    r"|\bphone(?:\s+number)?|\btel\b|\bmobile|\bcell|\blien\s+he|\blien\s+lac|\bzalo|\bgoi(?:\s+cho)?)"
    r"|(?P<bhyt>\bbhyt|\bbhxh|\bbao\s+hiem(?:\s+y\s+te|\s+xa\s+hoi)|\bma\s+the|\bso\s+the|\bso\s+so"
    r"|\bhealth\s+insurance(?:\s+(?:card|number))?|\binsurance(?:\s+(?:card|number|no\.?))?)",
    re.IGNORECASE,
)
_LABEL_WINDOW = 50
# Between a label and its number: "là", "số", ":"... only; more words make the label weaker.
_DIRECT = re.compile(r"(?i:(?:[\s:#=\-.,()]|\bla\b|\bso\b|\bno\b|\bnumber\b|\bcua\b)*)")
_UNIT_AFTER = re.compile(
    r"(?i:\s*(?:%|d\b|dong|vnd|usd|mg|mcg|ml|g\b|kg|l\b|ui|iu|u/|mmol|umol|/|x\s*10|nguoi|ca\b|lan|don\s+vi"
    r"|te\s+bao|copies|cp\b|luot|truong\s+hop|bn\b|benh\s+nhan))"
)


def _digits_of(groups: list[tuple[int, int]], text: str) -> str:
    return "".join(text[start:end] for start, end in groups)


def _is_phone(digits: str, *, international: bool = False) -> bool:
    if digits.startswith("84") and (international or len(digits) in (11, 12)):
        rest = digits[2:]
        if rest.startswith("0"):
            rest = rest[1:]
        return (len(rest) == 9 and rest[0] in "35789") or (len(rest) == 10 and rest[0] == "2")
    return digits.startswith("0") and len(digits) in (10, 11)


def _unlabelled_kind(digits: str, group_count: int, *, international: bool) -> IdentifierKind | None:
    if _is_phone(digits, international=international):
        return IdentifierKind.PHONE_NUMBER
    if len(digits) == 12 and digits[0] == "0" and 1 <= int(digits[:3]) <= 96:
        return IdentifierKind.CITIZEN_ID
    if len(digits) == 9 and group_count in (1, 3):
        return IdentifierKind.OLD_ID_NUMBER
    return None


def _labelled_kind(label: str, digits: str, *, direct: bool) -> IdentifierKind | None:
    count = len(digits)
    if not direct and label != "phone" and _is_phone(digits) and count == 10 and digits[1] in "35789":
        return IdentifierKind.PHONE_NUMBER  # "có BHYT, con trai 0912345678": the number wins
    if label == "phone":
        if digits.startswith(("1800", "1900")) or not 8 <= count <= 12:
            return None
        return IdentifierKind.PHONE_NUMBER
    if label == "bhyt":
        return IdentifierKind.HEALTH_INSURANCE_NUMBER if 8 <= count <= 15 else None
    if not 8 <= count <= 13:
        return None
    if count == 12:
        return IdentifierKind.CITIZEN_ID
    if count == 9:
        return IdentifierKind.OLD_ID_NUMBER
    return IdentifierKind.CITIZEN_ID if label == "cccd" else IdentifierKind.OLD_ID_NUMBER


def _label_before(
    text: str, start: int, labels: list[re.Match[str]], ends: list[int]
) -> tuple[str, bool] | None:
    """The nearest number label before ``start`` and whether only "là"/"số"/":" separate them."""
    at = bisect.bisect_right(ends, start) - 1
    if at < 0 or ends[at] < start - _LABEL_WINDOW:
        return None
    label = labels[at]
    if not _filler(text, label.end(), start):
        return None
    return label.lastgroup or "", _DIRECT.fullmatch(text, label.end(), start) is not None


# An identifier spans at most 6 digit groups ("001 089 012 345"): bounded work on any run.
_MAX_GROUPS = 6


def _numbers(folded: _Folded) -> Iterator[_Candidate]:
    text = folded.text
    labels = list(_NUMBER_LABEL.finditer(text))
    ends = [label.end() for label in labels]
    for run in _RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _GROUP.finditer(run.group())]
        international = run.group().lstrip("(").startswith("+")
        label = _label_before(text, run.start(), labels, ends) if len(groups) <= _MAX_GROUPS else None
        if label is not None:
            kind = _labelled_kind(label[0], _digits_of(groups, text), direct=label[1])
            if kind is not None:
                yield _Candidate(run.start(), run.end(), kind, 80 if label[1] else 75)
                continue
        yield from _unlabelled_numbers(text, groups, international=international)
    for match in _GLUED_PHONE.finditer(text):
        yield _Candidate(match.start(), match.end(), IdentifierKind.PHONE_NUMBER, 70)
    for match in _SLASHED_PHONES.finditer(text):
        for name in ("a", "b"):
            if _is_phone(match.group(name)):
                yield _Candidate(match.start(name), match.end(name), IdentifierKind.PHONE_NUMBER, 70)


def _unlabelled_numbers(
    text: str, groups: list[tuple[int, int]], *, international: bool
) -> Iterator[_Candidate]:
    """Identifiers among a run's groups, longest first from each group: "Hb 120 0912 345 678"
    holds a phone number after a lab value."""
    index = 0
    while index < len(groups):
        found = None
        for last in range(min(len(groups), index + _MAX_GROUPS) - 1, index - 1, -1):
            chosen = groups[index : last + 1]
            if len(chosen) > 1 and any(end - start < 2 for start, end in chosen[1:]):
                continue
            leading = international and index == 0
            kind = _unlabelled_kind(_digits_of(chosen, text), len(chosen), international=leading)
            if kind is IdentifierKind.OLD_ID_NUMBER and _UNIT_AFTER.match(text, chosen[-1][1]):
                kind = None
            if kind is not None:
                start = chosen[0][0] - (1 if leading else 0)
                if text[start - 1 : start] == "(":  # "(024) 3869 3731"
                    start -= 1
                found = (last, _Candidate(start, chosen[-1][1], kind, 70))
                break
        if found is None:
            index += 1
            continue
        index = found[0] + 1
        yield found[1]


# --- Medical record numbers --------------------------------------------------------------------

_MRN = re.compile(
    _WORD_START
    + r"(?:\bma\s+(?:so\s+)?(?:benh\s+nhan|bn|nguoi\s+benh|benh\s+an|ba|ho\s+so(?:\s+benh\s+an)?|luu\s+tru"
    r"|y\s+te|vao\s+vien|nhap\s+vien|dieu\s+tri|hsba|patient|tiep\s+nhan|kham\s+benh)"
    r"|\bso\s+(?:benh\s+an|ba|ho\s+so(?:\s+benh\s+an)?|luu\s+tru|vao\s+vien|nhap\s+vien|hsba|ho\s+so\s+ba"
    r"|tiep\s+nhan)"
    r"|\b(?:ho\s+so|giay|phieu)\s+(?:chuyen\s+(?:vien|tuyen)|ra\s+vien|vao\s+vien|benh\s+an)\s+so"
    r"|\bid\s+(?:bn|benh\s+nhan|nguoi\s+benh)|\bmsbn|\bmabn|\bhsba|\bmrn|\bpid|\bpatient\s+(?:id|number|no\.?)"
    r"|\bhospital\s+(?:id|number|no\.?)|\bmedical\s+record(?:\s+(?:number|no\.?))?|\bcase\s+(?:number|no\.?))"
    r"(?:\s*(?:cua\s+)?(?:bn|benh\s+nhan))?(?:[\s:#=]|\bla\b|\bso\b|\bno\b\.?)*"
    r"(?P<value>[A-Za-z0-9][A-Za-z0-9/\-._]*[A-Za-z0-9]|\d)",
    re.IGNORECASE,
)


def _record_numbers(folded: _Folded) -> Iterator[_Candidate]:
    for match in _MRN.finditer(folded.text):
        value = match.group("value")
        if any(char.isdigit() for char in value):
            yield _Candidate(
                match.start("value"), match.end("value"), IdentifierKind.MEDICAL_RECORD_NUMBER, 85
            )


# --- Dates of birth ----------------------------------------------------------------------------

_DOB_LABEL = re.compile(
    r"(?:(?P<strong>\bsinh\s+ngay|\bngay\s*[/,]?\s*thang\s*[/,]?\s*nam\s+sinh|\bngay\s+sinh|\bd\.?o\.?b\b\.?"
    r"|\bdate\s+of\s+birth|\bbirth\s?date|\bborn(?:\s+on)?|\bsinh(?:\s+vao)?(?:\s+luc)?)"
    r"|(?P<weak>\bns\b|\bsn\b))"
    r"(?:\s*(?:cua\s+)?(?:bn|benh\s+nhan|be|chau))?[\s:=\-(]*(?:la\s+|vao\s+)?$",
    re.IGNORECASE,
)
_DOB_LABEL_ANYWHERE = re.compile(_WORD_START + _DOB_LABEL.pattern.removesuffix("$"), re.IGNORECASE)
_AGE_AFTER = re.compile(r"(?i:\s*[,(\-]?\s*(?P<age>\d{1,3})\s*(?:tuoi|t\b|yo\b|years?\s+old))")


def _valid_date(match: re.Match[str]) -> int | None:
    """The year of a plausible date, or None."""
    groups = match.groupdict()
    this_year = date.today().year
    for n in "12345":
        if groups.get(f"d{n}"):
            day = int(groups[f"d{n}"])
            month = _MONTHS[groups[f"mn{n}"][:3].lower()] if groups.get(f"mn{n}") else int(groups[f"m{n}"])
            year = int(groups[f"y{n}"])
            if len(groups[f"y{n}"]) == 2:
                year += 1900 if year > this_year % 100 else 2000
            if 1 <= day <= 31 and 1 <= month <= 12 and 1890 <= year <= this_year + 1:
                return year
            return None
    return None


def _dates_of_birth(folded: _Folded, names: list[_Candidate]) -> Iterator[_Candidate]:
    text = folded.text
    name_ends = {name.end for name in names}
    this_year = date.today().year
    for match in _DATE.finditer(text):
        year = _valid_date(match)
        if year is None:
            continue
        start = match.start()
        label = _DOB_LABEL.search(text, max(0, start - 50), start)
        # "NS" is also "nội soi" (endoscopy): as a label it needs a colon or an old year.
        is_birth = label is not None and (
            bool(label.group("strong")) or ":" in label.group() or year <= this_year - 2
        )
        if not is_birth:  # "Nguyễn Văn A (12/03/1958)"
            gap = text[max(0, start - 4) : start]
            joined = gap.rstrip(" ,(-")
            is_birth = len(gap) - len(joined) <= 3 and (start - len(gap) + len(joined)) in name_ends
        if not is_birth:  # "12/05/1961 (62 tuổi)"
            age = _AGE_AFTER.match(text, match.end())
            is_birth = age is not None and 1990 <= year + int(age.group("age")) <= this_year + 1
        if is_birth:
            yield _Candidate(start, match.end(), IdentifierKind.DATE_OF_BIRTH, 75)
    for label in _DOB_LABEL_ANYWHERE.finditer(text):
        if not label.group("strong"):
            continue
        day_month = _DAY_MONTH.match(text, label.end())
        if day_month and 1 <= int(day_month["d"]) <= 31 and 1 <= int(day_month["m"]) <= 12:
            yield _Candidate(day_month.start(), day_month.end(), IdentifierKind.DATE_OF_BIRTH, 74)


# --- Patient names -----------------------------------------------------------------------------

# Folded trigger -> how it is spelt with diacritics (either spelling counts, a third does not).
_STRONG_TRIGGERS = {
    "benh nhan": ("bệnh nhân",),
    "bn": ("bn",),
    "nguoi benh": ("người bệnh",),
    "nb": ("nb",),
    "benh nhi": ("bệnh nhi",),
    "san phu": ("sản phụ",),
    "thai phu": ("thai phụ",),
    "ho va ten": ("họ và tên",),
    "ho ten": ("họ tên",),
    "ten benh nhan": ("tên bệnh nhân",),
    "ten bn": ("tên bn",),
    "ten nguoi benh": ("tên người bệnh",),
    "ten": ("tên",),
    "be": ("bé",),
    "chau": ("cháu",),
    "patient": ("patient",),
    "pt": ("pt",),
}
_ENGLISH_TRIGGERS = {
    "mr": ("mr",),
    "mrs": ("mrs",),
    "ms": ("ms",),
    "miss": ("miss",),
    "patient name": ("patient name",),
    "name": ("name",),
}
_KIN_TRIGGERS = {
    "ong": ("ông",),
    "ba": ("bà",),
    "anh": ("anh",),
    "chi": ("chị",),
    "em": ("em",),
    "cu": ("cụ",),
    "co": ("cô",),
    "chu": ("chú",),
    "bac": ("bác",),
    "chong": ("chồng",),
    "vo": ("vợ",),
    "me": ("mẹ",),
    "bo": ("bố",),
}
_ALL_TRIGGERS = {**_STRONG_TRIGGERS, **_ENGLISH_TRIGGERS, **_KIN_TRIGGERS}
_TRIGGER = re.compile(
    _WORD_START
    + r"\b(?P<trigger>"
    + "|".join(sorted((t.replace(" ", r"\s+") for t in _ALL_TRIGGERS), key=len, reverse=True))
    + r")\b(?:(?<=mr|ms)\.|(?<=mrs)\.)?(?:[ \t:,\-]|\bla\b|\bten\b)*",
    re.IGNORECASE,
)
_CAP_WORDS = re.compile(r"[A-Z][a-z]*(?![A-Za-z0-9])(?:[ \t]+[A-Z][a-z]*(?![A-Za-z0-9])){0,4}")
_UPPER_WORDS = re.compile(r"[A-Z]{1,7}(?:[ \t]+[A-Z]{1,7}){1,4}(?![A-Za-z0-9])")
_INITIALS = re.compile(r"[A-Z]\.(?:[ ]?[A-Z]\.?){1,3}(?![A-Za-z])")
# Words that follow "BN", "bé"... without being a name ("BN Nam, 45 tuổi", "Bé Trai"), as written
# with diacritics; in a text typed without any, compared folded.
_NOT_A_NAME_WORDS = (
    "nam nữ vào có được bị đến sau trước không đã đang nhập xuất tiền khám tại ở là và với từ này do "
    "thể số thứ lần trai gái nhi một hai ba bốn năm sáu bảy tám chín mười trẻ già lớn nhỏ cũ mới hiện "
    "sinh con mẹ bố chồng vợ người bệnh nhân bác chị anh em ông hồi điều tình triệu than khỏe ổn mệt "
    "đau ho sốt nôn tiểu đái ăn uống ngủ đi ra lên xuống vì nên khi nếu thì nhưng cũng vẫn chưa rất"
)
_NOT_A_NAME = _NOT_A_NAME_WORDS.split()
_NOT_A_NAME_ACCENTED = frozenset(_NOT_A_NAME)
_NOT_A_NAME_FOLDED = frozenset(word.translate(_FOLD_TABLE) for word in _NOT_A_NAME)
_SEX_WORDS = frozenset({"nam", "nu"})
_PLACES_AFTER_KIN = frozenset(
    {("ba", "ria"), ("ba", "chieu"), ("ba", "den"), ("ba", "diem"), ("ba", "trieu"), ("ba", "huyen")}
)
# One-word triggers that are also name syllables ("Nguyễn Anh Hương", "Ngọc Bé"): they count only
# written in lower case, or capitalised at the start of a sentence.
_NAME_LIKE_TRIGGERS = frozenset({"be", "chau", *_KIN_TRIGGERS})
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n(\-]\s*|\s{2,})$")


def _name_words(text: str, start: int, *, any_words: bool) -> tuple[int, int, int] | None:
    """The name at ``start``: (start, end, words), Vietnamese syllables with an optional final
    initial ("Nguyễn Văn A"), or any capitalised words when ``any_words``. A lone initial is no
    name ("BN A" is how authors hide one), nor is one word in capitals ("BN THA": hypertension)."""
    match = _CAP_WORDS.match(text, start)
    upper = match is None
    if upper:
        match = _UPPER_WORDS.match(text, start)
    if match is None:
        return None
    end = start
    count = 0
    for word in re.finditer(r"\S+", match.group()):
        token = word.group()
        if len(token) == 1:  # an initial ends the name
            if count:
                end = start + word.end()
                count += 1
            break
        if not (any_words or _is_syllable(token)):
            break
        end = start + word.end()
        count += 1
    if count == 0 or (upper and count < 2):
        return None
    return start, end, count


def _is_stop_word(folded: _Folded, start: int, end: int) -> bool:
    if folded.accented:
        return unicodedata.normalize("NFC", folded.original_text(start, end)).lower() in _NOT_A_NAME_ACCENTED
    return folded.text[start:end].lower() in _NOT_A_NAME_FOLDED


def _names(folded: _Folded) -> list[_Candidate]:
    text = folded.text
    found: list[_Candidate] = []
    for match in _TRIGGER.finditer(text):
        trigger_start, trigger_end = match.start("trigger"), match.end("trigger")
        trigger = re.sub(r"\s+", " ", match.group("trigger").lower())
        if not _written_as(folded, trigger_start, trigger_end, *_ALL_TRIGGERS[trigger]):
            continue
        if (
            trigger in _NAME_LIKE_TRIGGERS
            and text[trigger_start].isupper()
            and not _SENTENCE_START.search(text, max(0, trigger_start - 3), trigger_start)
        ):
            continue
        start = match.end()
        if trigger not in _KIN_TRIGGERS:
            initials = _INITIALS.match(text, start)
            if initials is not None:
                found.append(_Candidate(start, initials.end(), IdentifierKind.PATIENT_NAME, 40))
                continue
        name = _name_words(text, start, any_words=trigger in _ENGLISH_TRIGGERS)
        if name is None:
            continue
        _, end, count = name
        first_end = start + len(text[start:end].split()[0])
        first = text[start:first_end].lower()
        if trigger in _KIN_TRIGGERS:
            if (trigger, first) in _PLACES_AFTER_KIN:
                continue
            if count == 1:
                # "chị Lan" needs the diacritics: bare "chi", "ba", "em" are other words too.
                exact = _has_diacritics(folded, trigger_start, trigger_end) or trigger == "anh"
                if not exact or (_is_stop_word(folded, start, first_end) and first not in _SEX_WORDS):
                    continue
            elif first not in SURNAMES and _is_stop_word(folded, start, first_end):
                continue
        elif count == 1 and _is_stop_word(folded, start, first_end):
            continue
        found.append(_Candidate(start, end, IdentifierKind.PATIENT_NAME, 40))
    covered = [(c.start, c.end) for c in found]
    found.extend(c for c in _unlabelled_names(folded) if all(c.end <= s or c.start >= e for s, e in covered))
    return found


# Every capitalised word may start a name: "Be Ta Van Yen" holds "Ta Van Yen".
_FULL_NAME_START = re.compile(r"(?<![\w])(?=[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]*){2,4})")
# Right before a name, these make it a doctor's, a facility's, a street's or a cited author's.
_NOT_PATIENT_BEFORE = re.compile(
    r"(?:(?:\bbs|\bbsck(?:i|ii|\s*[12])?|\bbsnt|\bths|\bts|\bgs|\bpgs|\bdr|\bdd|\bys|\bktv|\bbv|\bpk"
    r"|\btp|\bq|\bp|\btt)\.?(?:\s*(?:bs|ts|ths|bsck(?:i|ii)?)\.?)*"
    r"|\bbac\s+si|\bdieu\s+duong|\by\s+si|\bky\s+thuat\s+vien|\btac\s+gia|\bbenh\s+vien|\btruong|\bdai\s+hoc"
    r"|\btrung\s+tam|\bphong\s+kham|\bvien|\btram(?:\s+y\s+te)?|\bpho|\bduong|\bso|\bngo|\bhem|\bkiet"
    r"|\bphuong|\bxa|\bquan|\bhuyen|\btinh|\bthanh\s+pho|\bky\s+thuat|\bphuong\s+phap|\btheo|\d)"
    r"[ \t:,]*$",
    re.IGNORECASE,
)
_CITATION_AFTER = re.compile(r"(?i:\s*(?:\(\s*\d{4}|et\s+al|va\s+(?:cs|cong\s+su)))")


def _unlabelled_names(folded: _Folded) -> Iterator[_Candidate]:
    """Finds "Nguyễn Văn A" anywhere: a common surname and two more syllables (or an initial)."""
    text = folded.text
    taken_until = 0
    for match in _FULL_NAME_START.finditer(text):
        start = match.start()
        if start < taken_until or text[start : text.find(" ", start)].lower() not in SURNAMES:
            continue
        name = _name_words(text, start, any_words=False)
        if name is None or name[2] < 3:
            continue
        if _NOT_PATIENT_BEFORE.search(text, max(0, start - 30), start):
            continue
        if _CITATION_AFTER.match(text, name[1]):
            continue
        taken_until = name[1]
        yield _Candidate(name[0], name[1], IdentifierKind.PATIENT_NAME, 30)


# --- Street addresses --------------------------------------------------------------------------

_NAME_PART = r"(?:[A-Z][a-z]*(?:[ \t]+[A-Z][a-z]*){0,4})"
_NUMBER_PART = r"(?:\d+[A-Za-z]?(?:/\d+[A-Za-z]?)*)"
_ADDRESS_PART = re.compile(
    _WORD_START + r"(?P<house>\bso\s+nha|\bso|\bsn)\s*(?P<house_no>" + _NUMBER_PART + r")"
    r"|(?P<lane>\bngo|\bngach|\bhem|\bkiet|\bhxh)\s*(?P<lane_no>" + _NUMBER_PART + r")"
    r"|(?P<street>\bpho|\bduong|\bdg)\s+(?P<street_name>(?-i:" + _NAME_PART + r")|so\s+\d+)"
    r"|(?P<village>\bto\s+dan\s+pho|\bkhu\s+pho|\bkhu\s+tap\s+the|\bktt|\bkp|\bto|\bkhom|\bxom|\bthon|\bap"
    r"|\bkhu\s+dan\s+cu|\bkdc|\bcum)\s+(?P<village_name>" + _NUMBER_PART + r"|(?-i:" + _NAME_PART + r"))"
    r"|(?P<hamlet>\bban|\blang|\bbuon|\bplei|\bsoc)\s+(?P<hamlet_name>(?-i:" + _NAME_PART + r"))"
    r"|(?P<building>\bchung\s+cu|\bcan\s+ho|\btoa\s+nha)\s+(?P<building_name>[A-Za-z0-9][A-Za-z0-9\-]*"
    r"(?:[ \t]+(?-i:[A-Z][a-z]+))*)"
    r"|(?P<admin>\bphuong|\bp\.|\bxa|\bquan|\bq\.|\bhuyen|\bh\.|\bthi\s+tran|\btt\.|\bthi\s+xa|\btx\.|\bthanh\s+pho"
    r"|\btp\.?|\btinh)\s*(?P<admin_name>\d+|(?-i:" + _NAME_PART + r"|[A-Z]{2,4}))",
    re.IGNORECASE,
)
_PART_KEYWORD = {
    "house_no": "house",
    "lane_no": "lane",
    "street_name": "street",
    "village_name": "village",
    "hamlet_name": "hamlet",
    "building_name": "building",
    "admin_name": "admin",
}
_NUMBERED_STREET = re.compile(r"(?<![\w/.,])(?P<no>" + _NUMBER_PART + r")[ \t]+(?P<name>" + _NAME_PART + r")")
_STREET_SUFFIX = re.compile(r"[ \t]+(?:street|st\.|road|rd\.|lane|alley|avenue|ave\.)", re.IGNORECASE)
_NOT_STREET_BEFORE = re.compile(
    r"(?:\btype|\btyp|\btuyp|\bdo|\bgiai\s+doan|\bstage|\bgrade|\bloai|\bnhom|\blan|\bngay|\bthang|\bnam"
    r"|\btuoi|\bx|\bnyha|\bkillip|\bbirads|\btirads|\bpara|\bgravida|\bcap|\bthe|\bphan|\bmuc|\bkhoang)\s*$",
    re.IGNORECASE,
)
_SPELLINGS = {
    "so": ("số",),
    "so nha": ("số nhà",),
    "ngo": ("ngõ",),
    "ngach": ("ngách",),
    "hem": ("hẻm",),
    "kiet": ("kiệt",),
    "pho": ("phố",),
    "duong": ("đường",),
    "to": ("tổ",),
    "khom": ("khóm",),
    "xom": ("xóm",),
    "thon": ("thôn",),
    "ap": ("ấp",),
    "ban": ("bản",),
    "lang": ("làng",),
    "buon": ("buôn",),
    "soc": ("sóc",),
    "cum": ("cụm",),
    "to dan pho": ("tổ dân phố",),
    "khu pho": ("khu phố",),
    "khu tap the": ("khu tập thể",),
    "chung cu": ("chung cư",),
    "can ho": ("căn hộ",),
    "toa nha": ("tòa nhà", "toà nhà"),
    "phuong": ("phường",),
    "xa": ("xã",),
    "quan": ("quận",),
    "huyen": ("huyện",),
    "thi tran": ("thị trấn",),
    "thi xa": ("thị xã",),
    "thanh pho": ("thành phố",),
    "tinh": ("tỉnh",),
}
# Written without diacritics these are ordinary words too ("to", "ban", "ap", "xa"): alone they
# do not make an address, next to another part they do.
_AMBIGUOUS_BARE = frozenset(
    {"to", "ap", "ban", "lang", "soc", "xa", "so", "cum", "quan", "tinh", "pho", "duong"}
)
_ADDRESS_LABEL = re.compile(
    _WORD_START
    + r"\b(?:dia\s+chi|d/c|thuong\s+tru|tam\s+tru|noi\s+o|cho\s+o|tru\s+tai|song\s+tai|nha\s+o|address"
    r"|lives\s+at|living\s+at)"
    r"(?:\s+(?:hien\s+tai|thuong\s+tru|cua\s+bn|cua\s+benh\s+nhan|lien\s+he))?\s*[:\-]?\s*",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"[;\n]|\.(?:\s|$)|\s(?:vao\s+vien|nhap\s+vien|kham|den\s+kham|vi\b|do\b)", re.IGNORECASE
)


@dataclass
class _Part:
    start: int
    end: int
    strong: bool  # an address by itself ("ngõ 34"); weak parts ("phường 5") only extend one
    admin: bool = False


def _address_parts(folded: _Folded) -> list[_Part]:
    text = folded.text
    parts: list[_Part] = []
    for match in _ADDRESS_PART.finditer(text):
        value_group = match.lastgroup or ""
        keyword_group = _PART_KEYWORD[value_group]
        kw_start, kw_end = match.start(keyword_group), match.end(keyword_group)
        keyword = re.sub(r"\s+", " ", text[kw_start:kw_end].lower()).rstrip(".")
        spelling = _SPELLINGS.get(keyword)
        if spelling and not _written_as(folded, kw_start, kw_end, *spelling):
            continue
        value = match.group(value_group)
        if keyword_group == "building":  # "chung cư HH2", "căn hộ 1205", "tòa nhà Sky Garden"
            if not (any(c.isdigit() for c in value) or value[0].isupper()):
                continue
        elif value[0].isupper() and not all(_is_syllable(w) or len(w) == 1 for w in value.split()):
            continue
        bare = keyword in _AMBIGUOUS_BARE and not _has_diacritics(folded, kw_start, kw_end)
        strong = keyword_group not in ("house", "admin") and not bare
        parts.append(_Part(match.start(), match.end(), strong, admin=keyword_group == "admin"))
    for match in _NUMBERED_STREET.finditer(text):
        words = match.group("name").split()
        syllables = 0
        for word in words:
            if not _is_syllable(word):
                break
            syllables += 1
        if syllables < 2 or _NOT_STREET_BEFORE.search(text, max(0, match.start() - 20), match.start()):
            continue
        end = match.start("name") + len(" ".join(words[:syllables]))
        suffix = _STREET_SUFFIX.match(text, end)
        parts.append(_Part(match.start(), suffix.end() if suffix else end, True))
    return sorted(parts, key=lambda part: (part.start, -part.end))


_JOINER = re.compile(r"[ \t]*(?:,|-|\u2013)?[ \t]*")


def _addresses(folded: _Folded) -> Iterator[_Candidate]:
    text = folded.text
    parts = _address_parts(folded)
    index = 0
    while index < len(parts):
        chain = [parts[index]]
        index += 1
        while index < len(parts):
            part = parts[index]
            if part.start < chain[-1].end:
                last = chain[-1]
                chain[-1] = _Part(last.start, max(last.end, part.end), last.strong or part.strong, last.admin)
                index += 1
                continue
            if _JOINER.fullmatch(text, chain[-1].end, part.start) is None:
                break
            chain.append(part)
            index += 1
        # "ap 2, xa Tan Phu" typed without diacritics: two parts, one below the commune level.
        if any(part.strong for part in chain) or (len(chain) > 1 and not all(part.admin for part in chain)):
            yield _Candidate(chain[0].start, chain[-1].end, IdentifierKind.STREET_ADDRESS, 50)
    for label in _ADDRESS_LABEL.finditer(text):
        start = label.end()
        limit = min(len(text), start + 120)
        end_match = _CLAUSE_END.search(text, start, limit)
        end = end_match.start() if end_match else limit
        value = text[start:end].rstrip(" ,")
        if value and (any(char.isdigit() for char in value) or any(start <= p.start < end for p in parts)):
            yield _Candidate(start, start + len(value), IdentifierKind.STREET_ADDRESS, 55)


# --- Assembly ----------------------------------------------------------------------------------


def _names_and_dates(folded: _Folded) -> Iterator[_Candidate]:
    names = _names(folded)
    yield from names
    yield from _dates_of_birth(folded, names)


_FINDERS: tuple[Callable[[_Folded], Iterator[_Candidate]], ...] = (
    _emails,
    _insurance_cards,
    _numbers,
    _record_numbers,
    _names_and_dates,
    _addresses,
)
