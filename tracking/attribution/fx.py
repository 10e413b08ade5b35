"""Currencies at attribution: a conversion whose publisher is paid in another currency waits
`fx_rate_missing` while no rate converts its offer's currency (payouts/fx.py), rather than be
booked at a guessed rate. A manager approves it once the operator has loaded a rate."""

from dataclasses import dataclass, field
from datetime import date

from payouts.fx import fx_rate_find
from payouts.ledger import ledger_payout_currencies


@dataclass
class FxCheck:
    """One batch's answers, so a thousand callbacks ask PostgreSQL once per publisher and pair."""

    _targets: dict[int, str | None] = field(default_factory=dict)
    _found: dict[tuple[str, str, date], bool] = field(default_factory=dict)

    def target(self, publisher_id: int) -> str | None:
        """The currency the publisher's earnings are converted into (None: not converted)."""
        if publisher_id not in self._targets:
            found = ledger_payout_currencies(publisher_ids={publisher_id})
            self._targets[publisher_id] = found.get(publisher_id)
        return self._targets[publisher_id]

    def missing(self, *, publisher_id: int, currency: str, on: date) -> str | None:
        """The currency no rate converts into (None: nothing is missing)."""
        target = self.target(publisher_id)
        if target is None or target == currency:
            return None
        key = (currency, target, on)
        if key not in self._found:
            self._found[key] = fx_rate_find(base=currency, quote=target, on=on) is not None
        return None if self._found[key] else target
