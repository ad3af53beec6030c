"""Site infrastructure any app may use; it imports no app.

The mail outbox and its worker, SMTP backoff and error classification, rate limits, the
same-origin check for forms on cached pages, the anonymous page cache, absolute links, signed
tokens, the safe-HTML rules, security headers, and the error and media views. Apps build on
these; nothing here knows what a post, a comment or a subscriber is.
"""
