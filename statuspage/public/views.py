"""Public status pages. Views stay thin: selectors read, templates render."""

from django.shortcuts import render

from incidents import selectors
from statuspage.public_cache import public_document


@public_document()
def index(request):
    page = selectors.page_get()
    tree = selectors.component_tree()
    indicator, description = selectors.status_summary(tree.components)
    context = {
        "page": page,
        "tree": tree,
        "indicator": indicator,
        "description": description,
        "incidents": selectors.incidents_unresolved(),
        "maintenance_active": selectors.maintenance_active(),
        "maintenance_upcoming": selectors.maintenance_upcoming(),
        "uptime": selectors.uptime_daily(tree.components, page=page),
    }
    return render(request, "public/index.html", context)
