"""Slack, Discord and Microsoft Teams incoming webhooks, in each product's own format.

`message.payload` here is the chat summary built by the delivery service: title, text, url.
"""

from __future__ import annotations

import json
from typing import cast

from notifications.transports.base import ChatSummary, Outgoing
from notifications.transports.webhook import HttpTransport


class ChatTransport(HttpTransport):
    """Slack, Discord and Teams: the same summary, each in its product's own format."""

    def body(self, summary: ChatSummary) -> dict[str, object]:
        raise NotImplementedError

    def request(self, message: Outgoing) -> tuple[bytes, dict[str, str]]:
        # The delivery service gives a chat message its ChatSummary as payload
        # (services.messages.build_message).
        summary = cast(ChatSummary, message.payload or {})
        return json.dumps(self.body(summary)).encode(), {}


def slack_escape(text: str) -> str:
    """Slack's escaping for text it parses (the message `text` and mrkdwn): `&`, `<` and `>`
    as entities, `&` first. Unescaped, an incident named `<!channel>` would ping a whole
    channel and `<https://evil|Status page>` would be a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(escaped: str) -> dict[str, object]:
    # verbatim: no automatic parsing of bare channel names and mentions either.
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


class SlackTransport(ChatTransport):
    def body(self, s: ChatSummary) -> dict[str, object]:
        return {
            # The notification and fallback text; Slack parses it like mrkdwn.
            "text": slack_escape(f"{s['title']}: {s['text']}"),
            "blocks": [
                {"type": "section", "text": _mrkdwn(f"*{slack_escape(s['title'])}*")},
                # plain_text is shown as typed: Slack parses no mentions or links in it.
                {"type": "section", "text": {"type": "plain_text", "text": s["text"] or " "}},
                {"type": "context", "elements": [_mrkdwn(slack_escape(s["url"]))]},
            ],
        }


class DiscordTransport(ChatTransport):
    # Embeds never ping; `allowed_mentions` with nothing to parse also keeps any mention
    # text (@everyone, <@&role>) inert should it ever reach `content`.
    def body(self, s: ChatSummary) -> dict[str, object]:
        return {
            "content": None,
            "embeds": [
                {"title": s["title"][:256], "description": s["text"][:4000], "url": s["url"]}
            ],
            "allowed_mentions": {"parse": []},
        }


class TeamsTransport(ChatTransport):
    def body(self, s: ChatSummary) -> dict[str, object]:
        # Adaptive Card in the envelope Teams workflows / incoming webhooks accept. Teams
        # mentions need an `msteams.entities` entry naming the user; none is ever sent, so
        # `<at>...</at>` in a title stays text.
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {
                                "type": "TextBlock",
                                "text": s["title"],
                                "weight": "Bolder",
                                "wrap": True,
                            },
                            {"type": "TextBlock", "text": s["text"], "wrap": True},
                        ],
                        "actions": [
                            {"type": "Action.OpenUrl", "title": "Status page", "url": s["url"]}
                        ],
                    },
                }
            ],
        }
