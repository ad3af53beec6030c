from django.dispatch import Signal

# Sent when a commenter who ticked "Also send me the weekly newsletter" has proven they own
# their address (followed the comment's confirmation link, or is signed in with a verified
# email). Keyword arguments: email, name, ip, source_url, consent_text, confirmed_at.
# The newsletter app listens; comments never imports newsletter.
newsletter_consent_given = Signal()
