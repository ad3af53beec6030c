import re

from django import forms


class OneTimeCodeField(forms.CharField):
    """Six digits, as typed or pasted: spaces and dashes are dropped."""

    def __init__(self, **kwargs):
        widget = forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
                "size": 8,
                "autofocus": True,
            }
        )
        super().__init__(max_length=20, widget=widget, **kwargs)

    def clean(self, value):
        value = re.sub(r"[\s-]", "", super().clean(value))
        if not re.fullmatch(r"\d{6}", value):
            raise forms.ValidationError("Enter the 6 digits of the code.", code="format")
        return value


class VerificationCodeForm(forms.Form):
    code = OneTimeCodeField(label="6-digit code")


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label="Recovery code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class AuthenticatorConfirmForm(forms.Form):
    code = OneTimeCodeField(label="Code shown in the app")
