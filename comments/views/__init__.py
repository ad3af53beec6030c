"""Our comment views around django-comments-xtd.

`posting`: the comment form's endpoint, the confirmation link and the reply page.
`own`: a commenter editing or deleting their own comment. `reading`: more threads for the
script, and muting follow-up emails. `base`: what they share (who is signed in, refusals).
"""
