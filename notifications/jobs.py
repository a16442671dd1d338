"""RQ jobs. Each takes IDs, loads, and calls a service; nothing here decides policy."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from incidents import selectors, wire
from incidents.models import Page
from incidents.services import Actor, audit_record
from notifications import links, render, senders, sms_text
from notifications.models import (
    URL_CHANNELS,
    Channel,
    ImportStatus,
    Subscriber,
    SubscriberImport,
    SubscriberState,
)
from notifications.services import attempts, delivery, management, outbox, subscriptions
from notifications.transports import TransportError
from notifications.transports.chat import (
    ChatTransport,
    DiscordTransport,
    SlackTransport,
    TeamsTransport,
)
from notifications.transports.sms import OPTED_OUT_CODE, send_sms
from notifications.transports.webhook import post_json, sign

log = logging.getLogger(__name__)


def deliver_batch(event_id: int, batch_no: int) -> dict[str, int]:
    """One batch of an event's outbox; batch_no only names the job (-1: sent by the relay)."""
    return delivery.batch_deliver(event_id=event_id)


def relay() -> dict[str, int]:
    return outbox.outbox_relay()


def expire_and_purge() -> dict[str, int]:
    """The hourly clean-up: subscribers never confirmed or long quarantined, and attempt-log
    lines past their retention."""
    counts = subscriptions.subscribers_expire_and_purge()
    return {**counts, "attempts_purged": attempts.delivery_attempts_purge()}


def send_confirmation(subscriber_id: int) -> str:
    """Start double opt-in: a signed link by email, a code by SMS, a test POST for URLs."""
    sub = Subscriber.objects.filter(pk=subscriber_id, state=SubscriberState.UNCONFIRMED).first()
    if sub is None:
        return "not unconfirmed"
    page, sender = _page_of(sub)
    ctx: dict[str, object] = {
        "page_name": page.name,
        "page_url": sender.page_url,
        "confirm_url": links.confirm_url(sub, sender.page_url),
        "expire_hours": settings.NOTIFY_UNCONFIRMED_EXPIRE_HOURS,
    }
    # In the language of the page the person subscribed on, like every later message.
    with translation.override(sub.language or page.language):
        return _send_confirmation(sub, page, sender, ctx)


def _page_of(sub: Subscriber) -> tuple[Page, senders.Sender]:
    """The subscriber's page, its URL set to the page's own (in memory only: the messages'
    links start there), and its sender (one query)."""
    page = senders.page_rows().get(subscribers=sub.pk)
    sender = senders.sender_of(page)
    page.url = sender.page_url
    return page, sender


def _mail(sender: senders.Sender, subject: str, body: str, to: str) -> None:
    """A one-off email from the page's sender (confirmation, notices)."""
    reply_to = [sender.reply_to] if sender.reply_to else None
    EmailMessage(subject, body, sender.from_email, [to], reply_to=reply_to).send()


def _send_confirmation(
    sub: Subscriber, page: Page, sender: senders.Sender, ctx: dict[str, object]
) -> str:
    if sub.channel == Channel.EMAIL:
        _mail(
            sender,
            render.render_text("notifications/email/confirm_subject.txt", ctx),
            render.render_text("notifications/email/confirm_body.txt", ctx),
            sub.address,
        )
        return "email sent"
    if sub.channel == Channel.SMS:
        ctx["code"] = subscriptions.sms_code_issue(subscriber=sub)
        try:
            text = sms_text.gsm_safe(render.render_text("notifications/sms/confirm.txt", ctx))
            send_sms(
                sub.address,
                text,
                from_number=sender.sms_from_number,
                messaging_service_sid=sender.sms_messaging_service_sid,
            )
        except TransportError as exc:
            log.warning("SMS code to subscriber %s not sent: %s", sub.pk, exc.message)
            if exc.code == OPTED_OUT_CODE:
                subscriptions.sms_opt_out(number=sub.address)
            return exc.message
        return "code sent"
    return _test_delivery(sub, page, sender)


def _test_delivery(sub: Subscriber, page: Page, sender: senders.Sender) -> str:
    """URL channels confirm themselves: the endpoint must answer a test message with 2xx."""
    title = f"{page.name}: subscription test"
    text = "This endpoint will receive status updates. No action needed."
    try:
        if sub.channel == Channel.WEBHOOK:
            body = json.dumps(
                {
                    "meta": render.webhook_meta(
                        unsubscribe=links.unsubscribe_url(sub, sender.page_url),
                        documentation=page.public_url,
                        tz=page.tz,
                    ),
                    "page": wire.webhook_page(page, *selectors.status_summary(page=page)),
                    "test": True,
                }
            ).encode()
            secret = sender.webhook_secret or sub.secret
            post_json(sub.address, body, sign(secret, f"test-{sub.public_id}", body))
        else:
            chats: dict[str, type[ChatTransport]] = {
                Channel.SLACK: SlackTransport,
                Channel.DISCORD: DiscordTransport,
                Channel.TEAMS: TeamsTransport,
            }
            transport = chats[sub.channel]()
            data = json.dumps(
                transport.body({"title": title, "text": text, "url": page.public_url})
            )
            post_json(sub.address, data.encode(), {})
    except TransportError as exc:
        log.info("test delivery to subscriber %s failed: %s", sub.pk, exc.message)
        return exc.message
    subscriptions.subscriber_confirm(subscriber=sub)
    if sub.channel == Channel.WEBHOOK:
        # The owner needs the signing secret: it is shown on the manage page, whose signed
        # link goes to the contact address only.
        ctx = {
            "page_name": page.name,
            "address": sub.address,
            "manage_url": links.manage_url(sub, sender.page_url),
        }
        _mail(
            sender,
            render.render_text("notifications/email/webhook_ready_subject.txt", ctx),
            render.render_text("notifications/email/webhook_ready_body.txt", ctx),
            sub.contact_email,
        )
    return "confirmed"


def send_quarantine_notice(subscriber_id: int, last_error: str) -> None:
    sub = Subscriber.objects.filter(pk=subscriber_id, channel__in=URL_CHANNELS).first()
    if sub is None or not sub.contact_email:
        return
    page, sender = _page_of(sub)
    ctx = {
        "page_name": page.name,
        "page_url": sender.page_url + reverse("notifications-subscribe"),
        "address": sub.address,
        "failures": delivery.QUARANTINE_FAILURES,
        "last_error": last_error,
        "purge_days": settings.NOTIFY_QUARANTINE_PURGE_DAYS,
    }
    # In the language of the page the endpoint was subscribed on, like its confirmation.
    with translation.override(sub.language or page.language):
        _mail(
            sender,
            render.render_text("notifications/email/quarantine_subject.txt", ctx),
            render.render_text("notifications/email/quarantine_body.txt", ctx),
            sub.contact_email,
        )


def run_subscriber_import(import_id: int) -> str:
    """Process an uploaded subscriber CSV stored in the database, writing progress as it goes.
    A second run of a finished import does nothing (the enqueue may be repeated)."""
    with transaction.atomic():
        job = SubscriberImport.objects.select_for_update().filter(pk=import_id).first()
        if job is None or job.status != ImportStatus.PENDING:
            return "not pending"
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status"])
    actor = Actor(
        label=job.actor_label, via=job.actor_via or "dashboard", user_id=job.actor_user_id
    )

    def progress(report: management.ImportReport) -> None:
        SubscriberImport.objects.filter(pk=import_id).update(
            processed=report.processed,
            created=report.created,
            skipped=report.skipped,
            errors=[_error_json(e) for e in report.errors],
        )

    try:
        report = management.subscribers_import_csv(
            actor=actor,
            rows=job.rows,
            skip_confirmation=job.skip_confirmation,
            progress=progress,
            page=job.page,
        )
    except Exception:  # noqa: BLE001 - recorded on the import for the operator, and logged
        # Not re-raised: without Redis the job runs inside the upload request, which must not
        # turn into a 500 after the upload itself was saved; the status page reports it.
        log.exception("subscriber import %s failed", import_id)
        SubscriberImport.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )
        return "failed"
    with transaction.atomic():
        SubscriberImport.objects.filter(pk=import_id).update(
            status=ImportStatus.DONE,
            processed=report.processed,
            created=report.created,
            skipped=report.skipped,
            errors=[_error_json(e) for e in report.errors],
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        audit_record(
            actor=actor,
            action="subscriber.import",
            obj=job,
            after={
                "created": report.created,
                "skipped": report.skipped,
                "errors": len(report.errors),
            },
        )
    return f"{report.created} created, {report.skipped} skipped, {len(report.errors)} errors"


def _error_json(error: management.ImportRowError) -> dict[str, object]:
    return {"row": error.row, "data": error.data, "message": error.message}
