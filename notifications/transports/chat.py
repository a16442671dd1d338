"""Slack, Discord and Microsoft Teams incoming webhooks, in each product's own format.

`message.payload` here is the chat summary built by the delivery service: title, text, url.
"""

from __future__ import annotations

import json

from notifications.transports.base import Outgoing, Transport
from notifications.transports.webhook import Attempt, post_json


class _ChatTransport(Transport):
    def body(self, summary: dict) -> dict:
        raise NotImplementedError

    def send(self, message: Outgoing, attempt: Attempt | None = None) -> str:
        data = json.dumps(self.body(message.payload or {})).encode()
        return f"HTTP {post_json(message.address, data, {}, attempt)}"


class SlackTransport(_ChatTransport):
    def body(self, s: dict) -> dict:
        return {
            "text": f"{s['title']}: {s['text']}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{s['title']}*"}},
                {"type": "section", "text": {"type": "plain_text", "text": s["text"] or " "}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": s["url"]}]},
            ],
        }


class DiscordTransport(_ChatTransport):
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
        # Adaptive Card in the envelope Teams workflows / incoming webhooks accept.
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
