"""The index: LanceDB tables ``chunks``, ``files`` (the manifest) and ``meta``.

Consistency without multi-table transactions: every batch is written as one commit to
``chunks`` (a ``merge_insert`` that inserts the batch's new rows and, in the same commit,
deletes the old rows of every file the batch touches), *then* one commit to ``files``. A
reader therefore never sees half of a file's chunks, and a manifest row marked ``indexed``
always has its chunks. A crash between the two commits leaves new chunks under an old (or no)
manifest row; the next scan sees the file as changed and rewrites it, reusing the vectors
already stored (the chunks table doubles as the vector cache, keyed by chunk text hash).

That crash window is also closed directly by a write-ahead journal (:mod:`.journal`): opening
the store finishes or drops a batch a dead writer left between its two commits, so ``doctor``
is clean right after a crash (or a disk-full error), not only after the next run. Deletions (a
removed folder, ``forget``) are journalled the same way.

Damage (a deleted or truncated data file, a missing table) is found on open (:mod:`.opening`)
and raises :class:`StoreError` with one line naming the problem and the fix
(``doctor --repair``). A full disk raises :class:`DiskFullError` from the write that failed;
what was committed stays. ``meta`` records the model id and dimension: an index is never mixed
across models.

The modules, each with one job: :mod:`.schema` (tables, columns, SQL literals), :mod:`.rows`
(records to Arrow and back), :mod:`.errors`, :mod:`.opening`, :mod:`.writes` (the two
commits), :mod:`.journal`, :mod:`.indexes` (full-text and ANN), :mod:`.doctor` (the
consistency check) and :mod:`.facade` (:class:`Store`). The records themselves live in
:mod:`desktop_app.engine.records`, which needs neither numpy nor LanceDB. What other code may
use is re-exported here; tunables (``ANN_THRESHOLD_ROWS``, ``OPTIMIZE_EVERY_COMMITS``) are not,
since patching a copy here would change nothing: set them on the module that reads them.
"""

from desktop_app.engine.store.doctor import DoctorReport
from desktop_app.engine.store.errors import DiskFullError, ModelMismatchError, StoreError
from desktop_app.engine.store.facade import Store
from desktop_app.engine.store.rows import chunk_data_from_rows, vectors_of
from desktop_app.engine.store.schema import CHUNKS, FILES, META, sql_in, sql_string

__all__ = [
    "CHUNKS",
    "FILES",
    "META",
    "DiskFullError",
    "DoctorReport",
    "ModelMismatchError",
    "Store",
    "StoreError",
    "chunk_data_from_rows",
    "sql_in",
    "sql_string",
    "vectors_of",
]
