"""An email's HTML `<title>` is its subject: core.mail.templated_message passes both."""

from pathlib import Path

import lxml.html
import pytest
from django.conf import settings

from core.mail import templated_message

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EMAILS = sorted(
    path.relative_to(TEMPLATES).with_suffix("").as_posix()
    for path in [
        *TEMPLATES.glob("emails/**/*.html"),
        *TEMPLATES.glob("django_comments_xtd/email_*.html"),
    ]
    if not path.name.startswith("_") and path.name != "base.html"
)


@pytest.mark.django_db
@pytest.mark.parametrize("template", EMAILS)
def test_every_emails_title_is_its_subject(template):
    subject = "New reply on “Trams before tunnels” · The Dispatch"
    message = templated_message(
        template=template, subject=subject, to=["a@example.org"], context={}
    )
    html = message.alternatives[0].content
    assert lxml.html.document_fromstring(html).findtext(".//title") == subject
