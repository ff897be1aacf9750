"""Organizations and households: customers who belong together, with managers who act for the members.

The buyer is not always the consumer (a company buys for its staff, a parent for the children), so a
customer may belong to one organization. Its managers see what members share with it; members see
their own. Plugins never read these tables: they ask ``portal.plugin.scope_for`` instead.
"""
