"""The Ministry's rule as the first policy version: each central-tier doctor mentors 4
provincial, 4 district and 2 commune doctors (maximum = required); a mentee has at most 2
mentors."""

from datetime import date

from django.db import migrations

DEFAULT_RULES = (("central", "provincial", 4), ("central", "district", 4), ("central", "commune", 2))


def load_default_policy(apps, schema_editor):
    QuotaPolicy = apps.get_model("mentorship", "QuotaPolicy")
    QuotaRule = apps.get_model("mentorship", "QuotaRule")
    if QuotaPolicy.objects.exists():
        return
    policy = QuotaPolicy.objects.create(
        version=1,
        effective_from=date(2025, 7, 1),
        max_mentors_per_mentee=2,
        reason="Ministry of Health health network: 4 provincial, 4 district, 2 commune per central doctor.",
    )
    QuotaRule.objects.bulk_create(
        QuotaRule(policy=policy, mentor_tier=mentor, mentee_tier=mentee, required=count, maximum=count)
        for mentor, mentee, count in DEFAULT_RULES
    )


class Migration(migrations.Migration):
    dependencies = [("mentorship", "0001_initial")]

    operations = [migrations.RunPython(load_default_policy, migrations.RunPython.noop)]
