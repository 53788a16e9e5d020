"""History: what the live service keeps for reviews (see model.py).

* :mod:`.model`: the records and the :class:`~.model.HistoryStore` protocol;
* :mod:`.factory`: ``open_store(url, environ)``, the one place a URL becomes a store;
* :mod:`.sqlite_store`, :mod:`.influx_v1`, :mod:`.influx_v2`: the stores
  (:mod:`.influx_lines` and :mod:`.influxql`: line protocol and InfluxQL reads);
* :mod:`.writer` and :mod:`.spool`: batching from a thread, and the on-disk spool
  that keeps records while a store is away.

The InfluxDB schema is described in docs/influxdb.md.
"""
