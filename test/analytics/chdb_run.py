"""Run the pixelpipe ClickHouse schema and queries on current ClickHouse.

Reads one JSON request on stdin:
  {"schema_dir": DIR, "inserts": [{"statement": SQL, "rows_file": PATH}, ...],
   "queries": {NAME: SQL, ...}}
applies DIR/*.up.sql in version order inside database `pixel` (split on ';'
like the Go migration driver), feeds each rows file to its INSERT, runs every
query and prints {"version": ..., "results": {NAME: TSV}} as JSON on stdout.
The embedded chDB engine is a current ClickHouse release (pip install chdb).
"""

import json
import pathlib
import sys
import tempfile

from chdb import session


def migrations(schema_dir):
    files = sorted(pathlib.Path(schema_dir).glob("*.up.sql"), key=lambda p: int(p.name.split("_")[0]))
    for f in files:
        for stmt in f.read_text().split(";"):
            if stmt.strip():
                yield f.name, stmt


def main():
    req = json.load(sys.stdin)
    with tempfile.TemporaryDirectory() as path:
        s = session.Session(path)
        s.query("CREATE DATABASE IF NOT EXISTS pixel")
        s.query("USE pixel")
        for name, stmt in migrations(req["schema_dir"]):
            try:
                s.query(stmt)
            except Exception as e:  # name the migration that failed
                raise SystemExit(f"migration {name} failed on chDB: {e}\n{stmt}")
        for ins in req["inserts"]:
            rows = pathlib.Path(ins["rows_file"]).read_text()
            s.query(ins["statement"] + "\n" + rows)
        results = {}
        for name, sql in req["queries"].items():
            try:
                results[name] = s.query(sql, "TSV").bytes().decode()
            except Exception as e:
                raise SystemExit(f"query {name} failed on chDB: {e}\n{sql}")
        version = s.query("SELECT version()", "TSV").bytes().decode().strip()
        s.close()
    json.dump({"version": version, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
