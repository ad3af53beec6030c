"""The newsletter's part of the site archive (core.transfer.export): subscribers and consent.

`subscribers.csv` has the columns of the admin's subscriber export (newsletter.imports), so the
admin's CSV import reads it back too; `consent.json` holds each subscriber's whole consent
record, the consent texts by version, and the hashes of erased addresses. An erased subscriber
is not in the archive at all: only the one-way hash that keeps the address off the list on the
restored site, as it does here. Unsubscribed and bounced addresses come with their status, so
they stay unsubscribed. Never their links' keys or confirmation nonces: a restored site issues
its own.
"""

import io

from core.transfer import export
from newsletter.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from newsletter.imports import EXPORT_COLUMNS, export_row
from newsletter.models import Subscriber, Suppression
from newsletter.subscriptions import subscriber_data

README = """\
`subscribers.csv`: every subscriber, whatever their status (`pending`, `active`,
  `unsubscribed`, `bounced`), with their cadence and consent record, in the columns of the
  admin's subscriber export (Newsletter › Subscribers reads this file back as it is). A cell a
  spreadsheet would take for a formula starts with an apostrophe.
  `consent.json`: `texts`, the exact words of each consent version; `subscribers`, each
  subscriber's full consent record (when, which form and page, which words, from which
  address, confirmation, and how they left); `erased`, the SHA-256 of each erased address
  (normalised, lower-cased): never an address, only what keeps it from being added again."""


def write_subscribers(writer: export.ArchiveWriter) -> None:
    import csv  # imported when the site is exported, not by every web worker

    subscribers = Subscriber.objects.order_by("pk")
    table = io.StringIO()
    rows = csv.writer(table)
    rows.writerow(EXPORT_COLUMNS)
    records = []
    for subscriber in subscribers.iterator(chunk_size=2000):
        rows.writerow(export_row(subscriber))
        records.append(subscriber_data(subscriber))
    writer.add_text("subscribers.csv", table.getvalue())
    erased = list(Suppression.objects.order_by("pk").values_list("digest", flat=True))
    writer.add_json(
        "consent.json",
        {
            "current_text_version": CURRENT_CONSENT_VERSION,
            "texts": CONSENT_TEXTS,
            "subscribers": records,
            "erased": erased,
        },
    )
    writer.count("subscribers", len(records))
    writer.count("erased", len(erased))


def register() -> None:
    export.register("subscribers", write=write_subscribers, readme=README)
