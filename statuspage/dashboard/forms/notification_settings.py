"""A page's notification sender (admin): notifications.senders resolves what it leaves empty."""

from __future__ import annotations

from django import forms

from notifications.models import PageNotificationSettings

SECRET_CHOICES = [
    ("keep", "Keep as it is"),
    ("new", "Generate a new page secret"),
    ("clear", "No page secret: each subscriber's own secret signs its webhooks"),
]


class PageNotificationSettingsForm(forms.ModelForm[PageNotificationSettings]):
    webhook_secret_action = forms.ChoiceField(
        label="Webhook signing secret",
        choices=SECRET_CHOICES,
        initial="keep",
        widget=forms.RadioSelect,
        help_text="A page secret signs every webhook of this page (the same webhook-signature "
        "header); receivers then verify with it instead of their own.",
    )

    class Meta:
        model = PageNotificationSettings
        fields = [
            "from_name",
            "from_email",
            "reply_to",
            "sms_from_number",
            "sms_messaging_service_sid",
        ]
        labels = {
            "from_name": "Sender name",
            "from_email": "From address",
            "reply_to": "Reply-To address",
            "sms_from_number": "SMS from number",
            "sms_messaging_service_sid": "SMS messaging service SID",
        }
