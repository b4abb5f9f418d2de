"""Fill the search documents of rows that existed before the search app (rows written later
are kept in step by search.signals). Runs the current document SQL: a later change to the
documents' shape ships its own rebuild, as ``manage.py search_reindex`` does."""

from django.db import migrations


def backfill(apps, schema_editor):
    from search import documents
    from search.models import IndexKind

    for kind in IndexKind:
        documents.rebuild(kind)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
