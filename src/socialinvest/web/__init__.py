"""The web application: ``create_app`` in ``app.py``; started by ``socialinvest serve``."""
