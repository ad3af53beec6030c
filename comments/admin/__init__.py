"""The author's moderation workspace: the comment queue, and comment counts on the post list.

django-comments-xtd registers no admin for a custom comment model, and its actions publish
held comments without telling anyone. Here the queue (`queue`) puts what needs a decision
first (comments awaiting moderation, then those readers flagged), the bulk actions record the
decision and notify followers, and a comment's page shows its post, its thread and the
commenter's other comments. Every list is built in a fixed number of queries. `rules` holds
the author's spam rules (blocked words and domains); `posts` adds the comment count to the
post list.

The admin's autodiscovery imports this package; importing the modules registers them.
"""

from comments.admin import posts, queue, rules

__all__ = ["posts", "queue", "rules"]
