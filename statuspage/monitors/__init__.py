"""Built-in monitors: HTTP, TCP, DNS and heartbeat checks that drive a component's status
through the same automation services as alerts (docs/monitors.md)."""
