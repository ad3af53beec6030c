import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from blog.models import Post


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"writer{n}")
    first_name = "Maren"
    last_name = "Adair"
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("a-long-test-password")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"On the city’s budget — part {n}")
    slug = factory.Sequence(lambda n: f"on-the-city-budget-{n}")
    kind = Post.Kind.OPED
    standfirst = "The council’s plan is a start — not a victory."
    body = "The council met on Tuesday.\nIt voted for “Buses First”.\n"
    author = factory.SubFactory(UserFactory)
    status = Post.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))

    class Params:
        draft = factory.Trait(status=Post.Status.DRAFT, publish_at=None)
        scheduled = factory.Trait(
            publish_at=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=2))
        )


class ImageFactory(factory.django.DjangoModelFactory):
    """A post image: a small real JPEG made by Pillow in memory, re-encoded on save."""

    class Meta:
        model = "blog.Image"

    post = factory.SubFactory(PostFactory)
    file = factory.django.ImageField(
        filename="council-chamber.jpg", format="JPEG", width=64, height=48, color="steelblue"
    )
    alt_text = "The council chamber during Tuesday’s budget vote."
