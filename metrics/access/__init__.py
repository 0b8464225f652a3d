"""Who may do what: roles and scopes, accounts and the audit log, the scoped store every page reads through."""
