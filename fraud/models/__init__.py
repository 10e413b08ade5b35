"""The fraud app's models, one module per concern (each helper adds its own module here).

Import every model module below so Django sees its models.
"""

from fraud.models.rules import FraudAction, FraudRule, FraudRuleChange  # noqa: F401
