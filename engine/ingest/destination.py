"""dlt's Postgres destination with statistics on the staging tables before a merge.

dlt merges (``delete-insert``) with ``DELETE FROM landed WHERE EXISTS (SELECT 1
FROM staging …)``. The staging table was just filled and never analyzed, so the
planner knows nothing of its keys and hashes the whole landed table: aml.aml's
+1 % re-run spent about 1.3 s there for 74 k staged rows against 3 M landed
ones. An ``ANALYZE`` of the staging table (a few milliseconds for a trickle)
and an SSD's ``random_page_cost`` let it probe the landed table's key index
instead. dlt offers exactly this hook: statements a merge job runs before it
merges. Only the key columns are analyzed, from a small sample: that is all
the merge's join reads.

It also loads an empty parquet file as nothing: a ``replace`` table emptied at
the source leaves dlt a file with a schema and no row group, which dlt 1.31's
ADBC job hands to ``pyarrow.Table.from_batches([])`` ("Must pass schema, or at
least one RecordBatch") — the whole source's sync failed, and its pending
package failed again on every later run.
"""

from __future__ import annotations

from typing import Any, List, Sequence

import dlt
from dlt.common.destination.reference import DestinationReference
from dlt.destinations.impl.postgres.postgres import PostgresClient, PostgresParquetCopyJob
from dlt.destinations.sql_jobs import SqlMergeFollowupJob

# Even with statistics, PostgreSQL's default random_page_cost (4, a spinning disk) made the planner
# hash-join the staged keys against a sequential scan of the whole landed table: 618 ms for 22 k
# staged rows against 930 k landed aml checks. The marts sit on local storage, mostly in cache; at
# 1.1 (the usual figure for SSDs) it probes the key index instead: 177 ms. Local to the merge's
# transaction; metric queries keep the server's setting.
MERGE_RANDOM_PAGE_COST = 1.1


# The merge joins on the key only, and a key is unique: a few thousand sampled rows tell the planner as much
# as the default 30,000 of every column. ANALYZE of aml's 70 k staged checks: 70 ms whole, 1 ms this way.
MERGE_STATISTICS_TARGET = 10


def _analyze(table: Any, sql_client: Any) -> str:
    staging = sql_client.get_qualified_table_names(table["name"])[1]
    keys = [sql_client.escape_column_name(name) for name, column in table["columns"].items()
            if column.get("primary_key") or column.get("merge_key")]
    return f"ANALYZE {staging} ({', '.join(keys)})" if keys else f"ANALYZE {staging}"


class _AnalyzedMerge(SqlMergeFollowupJob):
    @classmethod
    def _gen_table_setup_clauses(cls, table_chain: Sequence[Any], sql_client: Any) -> List[str]:
        return [f"SET LOCAL random_page_cost = {MERGE_RANDOM_PAGE_COST}",
                f"SET LOCAL default_statistics_target = {MERGE_STATISTICS_TARGET}"] + [
            _analyze(table, sql_client) for table in table_chain
        ]


class _ParquetCopy(PostgresParquetCopyJob):
    def run(self) -> None:
        import pyarrow.parquet

        if pyarrow.parquet.ParquetFile(self._file_path).metadata.num_rows == 0:
            return  # the table (truncated first by a replace) is simply left empty
        super().run()


class _MartsClient(PostgresClient):
    def create_load_job(self, table: Any, file_path: str, load_id: str, restore: bool = False) -> Any:
        job = super().create_load_job(table, file_path, load_id, restore)
        return _ParquetCopy(file_path) if type(job) is PostgresParquetCopyJob else job

    def _create_merge_followup_jobs(self, table_chain: Sequence[Any]) -> List[Any]:
        return [_AnalyzedMerge.from_table_chain(table_chain, self.sql_client)]


class marts_postgres(dlt.destinations.postgres):  # noqa: N801 - named like dlt's own destination factories
    """``dlt.destinations.postgres``: merges analyze their staging tables first; an empty file loads nothing."""

    @property
    def client_class(self) -> type[PostgresClient]:
        return _MartsClient

    @property
    def destination_type(self) -> str:
        # dlt names a destination after its class; pipelines landed before keep seeing "postgres" (their
        # state and `[destination.postgres]` settings stay theirs).
        return DestinationReference.normalize_type("dlt.destinations.postgres")
