"""Who may do what: operators' roles (memberships) and management API keys scoped by them.

The dashboard and the API both ask this app; neither owns the answer.
"""
