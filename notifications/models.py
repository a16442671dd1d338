"""Subscribers, subscriptions and the delivery outbox (built out by the notifications work)."""
