"""Print, as JSON, the SQL DeFarm runs to answer some GET requests: one list of
``[sql, params]`` per path, recorded with a database execute wrapper on the second of two
identical requests (the first one warms up whatever a process caches).

Run by ``bench.common.capture_sql`` in a subprocess with the production environment:
``python -m bench.capture_sql '<authorization header>' /api/path ...``.
"""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "defarm.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    authorization, *paths = sys.argv[1:]
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=authorization)
    captured = []
    for path in paths:
        client.get(path)
        queries: list[list] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append([sql, list(params) if params is not None else None])
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:500]}")
        captured.append(queries)
    print(json.dumps(captured, default=parameter_text))


def parameter_text(value) -> str:
    """A parameter JSON cannot hold, as the text PostgreSQL reads back as the same value (a
    ``Jsonb`` adapter as its JSON text; dates, UUIDs and the like as ``str``)."""
    from psycopg.types.json import Jsonb

    if isinstance(value, Jsonb):
        return json.dumps(value.obj)
    return str(value)


if __name__ == "__main__":
    main()
