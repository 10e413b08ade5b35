"""Ground layer: code every app shares (money and its fields, URL macros, input checks, the
API error shape and input guards, database and Redis helpers, metric counters). It imports no
app of this project; see docs/design.md ("Layers").
"""
