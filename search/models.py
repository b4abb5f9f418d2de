"""Search's own tables: the PostgreSQL backend's documents and the Elasticsearch outbox.

A document row holds the folded, weighted text of one doctor, facility or case (a
``tsvector`` with a GIN index; names also folded as plain text under a trigram index). It holds
no visibility: every query joins the live rows and filters them through the owning app's
selectors, so a connection, block or audience change needs no reindexing. Rows are rewritten
by ``search.documents`` inside the transaction that changed their source.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from facilities.models import Facility
from network.models import Case


class DoctorDocument(models.Model):
    doctor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    name = models.TextField()  # folded full name (typo-tolerant matching by trigrams)
    document = SearchVectorField()  # name (A), title, position, specialties (B), facility, province (C)

    class Meta:
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="search_doctor_name_trgm"),
            GinIndex(fields=["document"], name="search_doctor_document"),
        ]

    def __str__(self) -> str:
        return f"search document of doctor {self.pk}"


class FacilityDocument(models.Model):
    facility = models.OneToOneField(
        Facility, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    name = models.TextField()  # folded name
    document = SearchVectorField()  # name (A), province and commune (C)

    class Meta:
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="search_facility_name_trgm"),
            GinIndex(fields=["document"], name="search_facility_document"),
        ]

    def __str__(self) -> str:
        return f"search document of facility {self.pk}"


class CaseDocument(models.Model):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    # title (A); tags, ICD-10 codes, specialty (B); presenting problem, question (C); the rest (D)
    document = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["document"], name="search_case_document")]

    def __str__(self) -> str:
        return f"search document of case {self.pk}"


class IndexKind(models.TextChoices):
    DOCTOR = "doctor"
    FACILITY = "facility"
    CASE = "case"


class SearchWord(models.Model):
    """A folded word of a verified doctor's or an active facility's document: the vocabulary
    a mistyped word of a query is corrected against (``search.backends.postgres``). Only what
    every signed-in doctor may find, so no hidden account decides how a query is read. Added
    after the document's transaction commits; a word nobody findable holds any more stays
    until ``search_reindex``."""

    kind = models.CharField(max_length=10, choices=IndexKind.choices)
    word = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "word"], name="search_word_unique")]

    def __str__(self) -> str:
        return f"{self.kind} word {self.word}"


class OutboxEntry(models.Model):
    """ "Reindex this row in Elasticsearch": written in the transaction that changed the row,
    applied after commit (``search.outbox``). Only kept while Elasticsearch is configured."""

    kind = models.CharField(max_length=10, choices=IndexKind.choices)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
