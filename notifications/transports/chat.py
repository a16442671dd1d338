"""Slack, Discord and Microsoft Teams incoming webhooks, in each product's own format.

`message.payload` here is the chat summary built by the delivery service: title, text, url.
"""

from __future__ import annotations

import json

from notifications.transports.base import Outgoing, Receipt, Transport
from notifications.transports.webhook import Attempt, post_json


class _ChatTransport(Transport):
    def body(self, summary: dict) -> dict:
        raise NotImplementedError

    def send(self, message: Outgoing, attempt: Attempt | None = None) -> Receipt:
        data = json.dumps(self.body(message.payload or {})).encode()
        reply = post_json(message.address, data, {}, attempt)
        return Receipt(provider_id=reply.code, reply=reply)


def slack_escape(text: str) -> str:
    """Slack's escaping for text it parses (the message `text` and mrkdwn): `&`, `<` and `>`
    as entities, `&` first. Unescaped, an incident named `<!channel>` would ping a whole
    channel and `<https://evil|Status page>` would be a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(escaped: str) -> dict:
    # verbatim: no automatic parsing of bare channel names and mentions either.
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


class SlackTransport(_ChatTransport):
    def body(self, s: dict) -> dict:
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


class DiscordTransport(_ChatTransport):
    # Embeds never ping; `allowed_mentions` with nothing to parse also keeps any mention
    # text (@everyone, <@&role>) inert should it ever reach `content`.
    def body(self, s: dict) -> dict:
        return {
            "content": None,
            "embeds": [
                {"title": s["title"][:256], "description": s["text"][:4000], "url": s["url"]}
            ],
            "allowed_mentions": {"parse": []},
        }


class TeamsTransport(_ChatTransport):
    def body(self, s: dict) -> dict:
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
