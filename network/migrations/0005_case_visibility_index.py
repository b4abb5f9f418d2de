# Built without locking the cases table against writes (CONCURRENTLY: outside a transaction).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("network", "0004_referral_answer_overdue_kind"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                fields=["id"],
                include=("deleted_at", "hidden_at", "author", "published_at", "visibility", "specialty", "status"),
                name="network_case_visibility_idx",
            ),
        ),
    ]
