"""The shared case library on a database: organisations, users, cases with immutable versions,
shares, API tokens, jobs, cached results and the audit trail (SQLAlchemy 2.x, Alembic).

``models`` holds the tables, ``db`` the engine, sessions and migrations, and one repository
module per concept (``cases``, ``users``, ``tokens``, ``audit``, ``jobs``) the operations the web
application and the command line use. Nothing here runs a model or renders a page.
"""
