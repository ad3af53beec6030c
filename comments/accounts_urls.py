"""Reader sign-in by email link, "My comments" and sign out; mounted at /account/."""

from django.urls import path

from comments.accounts import views as accounts

app_name = "accounts"
urlpatterns = [
    path("sign-in/", accounts.sign_in, name="sign-in"),
    path("sign-in/sent/", accounts.sign_in_sent, name="sign-in-sent"),
    path("sign-in/<str:token>/", accounts.sign_in_confirm, name="sign-in-confirm"),
    path("comments/", accounts.my_comments, name="my-comments"),
    path("sign-out/", accounts.sign_out, name="sign-out"),
]
