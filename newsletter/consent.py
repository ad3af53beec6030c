"""The words a visitor agrees to when subscribing, versioned.

A signup records which version it showed (GDPR Art. 7(1): the author must be able to show what
each subscriber agreed to). Never edit a published text: add a new version and make it current.
Old versions stay here because cached pages may still show them for a few minutes.
"""

CONSENT_TEXTS = {
    "2026-11": (
        "One email a week with my best articles and OpEds and the major news headlines. "
        "You confirm by email first and can unsubscribe in one click at any time. "
        "Your address is used for this newsletter only and never shared."
    ),
}
CURRENT_CONSENT_VERSION = "2026-11"


def current_consent_text() -> str:
    return CONSENT_TEXTS[CURRENT_CONSENT_VERSION]


# The consent record kept on each subscriber, enough to show who agreed to what, where, when and
# from which address, and how they left (GDPR Art. 7(1): the controller must be able to
# demonstrate consent). In the order it is shown in the admin and exported.
RECORD_FIELDS = (
    "signed_up_at",
    "signup_source",
    "signup_url",
    "consent_text_version",
    "consent_text",
    "signup_ip",
    "confirmation_sent_at",
    "confirmed_at",
    "confirmed_ip",
    "unsubscribed_at",
    "unsubscribe_method",
)
