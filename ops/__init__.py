"""Operations edge: what /metrics shows, computed from every app's tables and Redis, and the demo
network (`manage.py seed_demo`, which makes tracking links). It sits at the top with portal and
the API edges (it reads tracking and payouts), and config/urls.py wires it.
"""
