"""Static analysis shared by the inventory, complexity and patterns collectors.

Each file of the target is read once and parsed once (:mod:`assess.static.worker`), in worker
processes (:mod:`assess.static.pool`), after a look in a content-addressed cache
(:mod:`assess.static.cache`). The records (:mod:`assess.static.record`) stream to
``raw/static/files.jsonl`` in the run folder as they are done, so no process holds every tree,
and each collector parses only the groups of fields it needs from that file (:mod:`assess.static.run`).
"""
