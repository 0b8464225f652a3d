"""Questions over the facts: filters, group-bys, KPIs, charts and maps."""
