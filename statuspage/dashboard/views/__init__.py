"""Dashboard views, one module per area. Every view is wrapped in access.operator_required."""
