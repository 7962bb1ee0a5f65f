"""Monitoring indicators (issue 17): the indicator registry, per-park time series and the
per-mu evaluation (亩均论英雄).

* registry kinds ``monitoring_indicators`` and ``indicator_values`` (:mod:`parklink.tables`,
  :mod:`parklink.store.models_monitoring`): imported and exported by the generic import
  with upsert, row-level errors and history;
* :mod:`parklink.monitoring.defaults`: the embedded default indicator definitions (data);
* :mod:`parklink.monitoring.permu`: the Zhejiang composite and the Sichuan A/B/C banding as a
  pure analysis with ``to_frame`` / ``explain`` / ``summary``.
"""
