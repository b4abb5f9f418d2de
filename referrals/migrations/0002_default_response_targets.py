"""Default response-time targets: urgent 4 hours, routine 48 hours to first response; completion
within 24 hours (urgent) and 7 days (routine); an unanswered referral escalates every 2 hours
(urgent) or 24 hours (routine) after its first-response deadline."""

from django.db import migrations

DEFAULT_TARGETS = (("urgent", 4, 24, 2), ("routine", 48, 168, 24))


def load_default_targets(apps, schema_editor):
    ResponseTarget = apps.get_model("referrals", "ResponseTarget")
    for urgency, first_response, completion, step in DEFAULT_TARGETS:
        ResponseTarget.objects.get_or_create(
            urgency=urgency,
            defaults={
                "first_response_hours": first_response,
                "completion_hours": completion,
                "escalation_step_hours": step,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(load_default_targets, migrations.RunPython.noop)]
