from django import forms

from comments.accounts.signin import safe_next_url


class SignInRequestForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_next(self):
        return safe_next_url(self.request, self.cleaned_data["next"])
