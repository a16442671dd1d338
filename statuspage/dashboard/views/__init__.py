"""Dashboard views, one module per area. Every view is wrapped in permissions.operator_required."""
