from django.dispatch import Signal

# Sent when a commenter who ticked "Also send me the weekly newsletter" has proven they own
# their address (followed the comment's confirmation link, or is signed in with a verified
# email). Sender: the comment model. Keyword arguments: email, name, ip, source_url,
# consent_text, confirmed_at. The newsletter app listens; comments never imports newsletter,
# and the comment form offers the box only while the signal has listeners.
newsletter_consent_given = Signal()
