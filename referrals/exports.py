"""CSV export of the referral metrics, one grouping per file, audited before the first byte
(``referral.metrics_exported``). Column names are stable English identifiers; the file starts
with a UTF-8 byte order mark so that spreadsheets read Vietnamese names correctly."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse

from accounts.models import User
from audit.services import record
from common.spreadsheets import csv_line
from mentorship.services.permissions import Scope
from referrals.selectors import metrics as selectors


def metrics_csv(
    user: User, scope: Scope, grouping: selectors.Grouping, filters: selectors.MetricsFilters
) -> StreamingHttpResponse:
    date_from, date_to = selectors.period(filters)
    record(
        "referral.metrics_exported",
        actor=user,
        target=user,
        details={
            "grouping": str(grouping),
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "scope": str(scope.kind),
            "scope_province": scope.province_id,
            "scope_facility": scope.facility_id,
        },
    )

    def content() -> Iterator[str]:
        yield "\ufeff" + csv_line(list(selectors.COLUMNS))
        for row in selectors.iter_referral_metrics(scope, grouping, filters):
            yield csv_line(
                [getattr(row, name) if getattr(row, name) is not None else "" for name in selectors.COLUMNS]
            )

    response = StreamingHttpResponse(content(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="referrals-{grouping}-{date_to.isoformat()}.csv"'
    response["Cache-Control"] = "no-store"
    return response
