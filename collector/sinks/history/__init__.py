"""History: what the live service keeps for reviews (see model.py).

* :mod:`.model`: the records and the :class:`~.model.HistoryStore` protocol;
* :mod:`.factory`: ``open_store(url, environ)``, the one place a URL becomes a store;
* :mod:`.sqlite_store`, :mod:`.influx_v1`, :mod:`.influx_v2`: the stores
  (:mod:`.sqlite_schema`: the SQLite file's schema and connections;
  :mod:`.influx_lines`: line protocol; :mod:`.influx_http`: HTTP and its errors;
  :mod:`.influxql` and :mod:`.influxql_answers`: InfluxQL reads and their answers);
* :mod:`.writer`: batching from a thread (:mod:`.batches`: the bounded in-memory
  queue; :mod:`.store_link`: retries with backoff; :mod:`.writer_stats`: counters),
  and :mod:`.spool` (:mod:`.spool_format`, :mod:`.spool_fallback`,
  :mod:`.spool_destination`): the on-disk spool that keeps records while a store is
  away.

The InfluxDB schema is described in docs/influxdb.md.
"""
