"""The matches domain's routers, one per resource."""
