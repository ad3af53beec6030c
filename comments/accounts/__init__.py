"""Reader sign-in by a one-time email link: no passwords, no account page beyond "My comments".

django-comments-xtd keeps likes and flags for signed-in users only, and a signed-in
reader comments without the confirmation email. Readers prove they own an address by
following a link we mail to it; the first time they do, a reader account is created.

The link is built like Django's `PasswordResetTokenGenerator`: a signed, timestamped payload
(the address, where to go afterwards, and a hash of the account's `last_login`), valid for
READER_SIGN_IN_MAX_AGE seconds. Signing in changes `last_login`, so a link works once.
Following it only shows a "Sign in" button: mail scanners that open links must not sign
anyone in, so the sign-in itself is a POST.

Staff and deactivated accounts never sign in this way (a link in a mailbox must not open the
admin), and the answer to a request never says whether an address has an account.

Modules: `links` (the signed link), `readers` (reader accounts), `signin` (asking for a link
and using it), `forms`, `views` (mounted at /account/ by comments/accounts_urls.py).
"""
