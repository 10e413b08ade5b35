"""Billing writes: invoices (invoices.py), payments and top-ups (receivables.py), funds limits,
budgets and the offer holds they decide (funds.py)."""
