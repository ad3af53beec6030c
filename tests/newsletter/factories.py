import datetime

import factory
from django.utils import timezone

from newsletter.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from newsletter.models import Subscriber


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.ACTIVE
    signup_source = "Newsletter page"
    signup_url = "/newsletter/"
    consent_text_version = CURRENT_CONSENT_VERSION
    consent_text = CONSENT_TEXTS[CURRENT_CONSENT_VERSION]
    signup_ip = "203.0.113.5"
    confirmation_sent_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)
    confirmed_ip = "203.0.113.5"

    class Params:
        pending = factory.Trait(
            status=Subscriber.Status.PENDING,
            confirmed_at=None,
            confirmed_ip=None,
            confirmation_nonce="nonce-1",
        )
        # The last confirmation went out two days ago: the once-a-day limit allows another.
        confirmation_long_ago = factory.Trait(
            confirmation_sent_at=factory.LazyFunction(
                lambda: timezone.now() - datetime.timedelta(days=2)
            )
        )
