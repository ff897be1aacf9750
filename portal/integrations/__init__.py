"""Integrations: accounts an administrator makes for the business's other systems to act as.

A shop, an ERP or a phone system connects through API tokens, and a token acts as an account. A
person's token stops working when that person leaves; an integration's account belongs to the
business, so its tokens outlive any one member of staff, and a ticket reply it stores is signed with
its own name ("Web shop"), not a colleague's. Nobody signs in as an integration, it has no mailbox,
and it is never offered for assignment, mentions or alerts.
"""
