"""The newsletter's tables, one module per part of its life (imported here for Django)."""

from newsletter.models.editions import (
    Delivery,
    DeliveryQuerySet,
    Edition,
    EditionHeadline,
    EditionItem,
    EditionQuerySet,
    LinkClick,
)
from newsletter.models.headlines import Headline, HeadlineFeed, HeadlineQuerySet
from newsletter.models.subscribers import (
    Subscriber,
    SubscriberQuerySet,
    Suppression,
    SuppressionQuerySet,
    new_subscriber_key,
)

__all__ = [
    "Delivery",
    "DeliveryQuerySet",
    "Edition",
    "EditionHeadline",
    "EditionItem",
    "EditionQuerySet",
    "Headline",
    "HeadlineFeed",
    "HeadlineQuerySet",
    "LinkClick",
    "Subscriber",
    "SubscriberQuerySet",
    "Suppression",
    "SuppressionQuerySet",
    "new_subscriber_key",
]
