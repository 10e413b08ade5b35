"""The audit log: who changed which configuration or money row, when, before and after.

django-auditlog writes the entries (one `auditlog.LogEntry` per create, update or delete of a
registered model, from model signals, so the API, the pages, the admin and shell sessions are
all covered). This package decides what is registered and which fields never enter the log
(`registry`), who the actor is (`middleware`), and who reads what (`selectors`, `api`).
"""
