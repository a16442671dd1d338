"""Automation from monitoring: alert routes, what this install knows of each alert, and what a
firing or resolved alert does to components and incidents (docs/api.md, "Automation from
monitoring"). The HTTP receivers (statuspage/api/v1/integrations.py) only parse and call here.
"""
