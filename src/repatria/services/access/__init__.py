"""Who may do what, and the trail of what they did: users, logins and the audit log."""
