"""People who sign in without passwords: users, company memberships, one-time links, sessions, audit."""
