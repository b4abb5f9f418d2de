"""Reference data: administrative units, facilities of the four tiers, specialties."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """The four levels of care named by the Ministry's quota rule, from the top down.

    Since the 2025 reform "district" facilities are the regional health centres under the
    provincial health department; the tier keeps its name because the quota rule uses it.
    """

    CENTRAL = "central", _("Central")
    PROVINCIAL = "provincial", _("Provincial")
    DISTRICT = "district", _("District (regional health centre)")
    COMMUNE = "commune", _("Commune")

    @classmethod
    def rank(cls, tier: str) -> int:
        """0 for central, 3 for commune: a lower rank is a higher level of care."""
        return [choice.value for choice in cls].index(tier)


class Province(models.Model):
    """A province or centrally governed city (34 since 1 July 2025)."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    codename = models.SlugField(max_length=100, unique=True)
    division_type = models.CharField(max_length=40)
    phone_code = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune-level unit: commune (xã), ward (phường) or special zone (đặc khu)."""

    code = models.PositiveIntegerField(primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="communes")
    name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100)
    division_type = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return self.name


class Specialty(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name_vi = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)

    class Meta:
        ordering = ["name_vi"]
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")

    def __str__(self) -> str:
        return self.name_vi


class Facility(models.Model):
    class Ownership(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")

    name = models.CharField(max_length=255)
    tier = models.CharField(max_length=16, choices=Tier.choices, db_index=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="facilities")
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="facilities", null=True, blank=True
    )
    ownership = models.CharField(max_length=8, choices=Ownership.choices, default=Ownership.PUBLIC)
    is_active = models.BooleanField(default=True)
    national_code = models.CharField(max_length=20, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        indexes = [models.Index(fields=["province", "tier"])]

    def __str__(self) -> str:
        return self.name
