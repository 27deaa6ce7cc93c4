"""Evaluate a compiled payload with Statsig's own evaluator, offline.

statsig-python-core (Statsig's server SDK, ISC) reads the payload through a DataStore,
with the network and every kind of logging off; nothing leaves the machine. statsync
never evaluates a rule itself: the only half it can get wrong is `compile`.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from statsync.errors import StatsyncError


@dataclass(frozen=True)
class Result:
    value: Any  # a gate's bool, a config's value
    rule_id: str  # the deciding rule's id, or "default" / "disabled"


def _sdk():
    try:
        import statsig_python_core as sdk
    except ImportError:  # pragma: no cover - it is a dependency; a broken install says so
        raise StatsyncError("statsync test needs statsig-python-core (pip install statsig-python-core)") from None
    return sdk


class Evaluator:
    """One payload in one environment tier. Use as a context manager."""

    def __init__(self, payload: dict[str, Any], environment: str | None = None):
        sdk = _sdk()
        text = json.dumps(payload)

        class Store(sdk.DataStore):
            def initialize(self): ...
            def shutdown(self): ...
            def set(self, key, value, time=None): ...
            def support_polling_updates_for(self, key):
                return False

            def get(self, key):
                return sdk.DataStoreResponse(result=text, time=int(time.time() * 1000))

        options = sdk.StatsigOptions()
        options.data_store = Store()
        options.disable_network = True
        options.disable_all_logging = True
        options.disable_country_lookup = True
        options.disable_disk_access = True
        options.output_log_level = "none"
        if environment:
            options.environment = environment
        self._sdk = sdk
        self._statsig = sdk.Statsig("secret-statsync-offline", options)  # never sent: the network is off
        self._statsig.initialize().wait()

    def __enter__(self) -> "Evaluator":
        return self

    def __exit__(self, *exc_info) -> None:
        self._statsig.shutdown().wait()

    def user(self, fields: dict[str, Any]):
        """A StatsigUser from a test case's user: Statsig's field names."""
        known = {"userID": "user_id", "email": "email", "ip": "ip", "userAgent": "user_agent",
                 "country": "country", "locale": "locale", "appVersion": "app_version", "custom": "custom",
                 "privateAttributes": "private_attributes", "customIDs": "custom_ids"}
        kwargs = {known[key]: value for key, value in fields.items() if key in known}
        return self._sdk.StatsigUser(**kwargs)

    def gate(self, user_fields: dict[str, Any], name: str) -> Result:
        gate = self._statsig.get_feature_gate(self.user(user_fields), name)
        return Result(bool(gate.value), gate.rule_id)

    def config(self, user_fields: dict[str, Any], name: str) -> Result:
        config = self._statsig.get_dynamic_config(self.user(user_fields), name)
        return Result(dict(config.value or {}), config.rule_id)

    def experiment(self, user_fields: dict[str, Any], name: str) -> tuple[Result, str | None]:
        """An experiment's value and deciding rule, and the group the user is in (or None)."""
        experiment = self._statsig.get_experiment(self.user(user_fields), name)
        return Result(dict(experiment.value or {}), experiment.rule_id), experiment.group_name

    def layer(self, user_fields: dict[str, Any], name: str) -> tuple[Result, str | None]:
        """A layer's values and deciding rule, and the group of the experiment it delegated to."""
        layer = self._statsig.get_layer(self.user(user_fields), name)
        return Result(dict(layer.get_value() or {}), layer.rule_id), layer.group_name
