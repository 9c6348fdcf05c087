"""Helpers shared by the callscope notebooks.

Every query lives in notebooks/sql/<name>.sql (one copy, also runnable with
`report sql -f notebooks/sql/<name>.sql`); query(name) runs it through the
built report binary with --format json and returns a pandas DataFrame.

Environment:
  CALLSCOPE_DATA    data root of the dataset (default: <repo>/data)
  CALLSCOPE_REPORT  the report binary (default: <repo>/bin/report)
  CALLSCOPE_DATE    review day YYYY-MM-DD for the daily notebooks
                    (default: the latest day in the dataset)
"""

import json
import os
import pathlib
import re
import subprocess

import pandas as pd

NOTEBOOKS = pathlib.Path(__file__).resolve().parent
ROOT = NOTEBOOKS.parent
SQL_DIR = NOTEBOOKS / "sql"
DATA = os.environ.get("CALLSCOPE_DATA") or str(ROOT / "data")
REPORT = os.environ.get("CALLSCOPE_REPORT") or str(ROOT / "bin" / "report")
DAY = os.environ.get("CALLSCOPE_DATE", "")

if DAY and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", DAY):
    raise ValueError(f"CALLSCOPE_DATE={DAY!r}: want YYYY-MM-DD")


def sql_path(name):
    """Path of notebooks/sql/<name>.sql."""
    p = SQL_DIR / f"{name}.sql"
    if not p.is_file():
        raise FileNotFoundError(f"no query {p}")
    return p


def sql_text(name):
    """The SQL of notebooks/sql/<name>.sql."""
    return sql_path(name).read_text()


def command(name):
    """The shell command that runs the query by hand."""
    return f"{REPORT} --data {DATA} sql -f {sql_path(name)}"


def query(name):
    """Run notebooks/sql/<name>.sql over the dataset; return a DataFrame.

    Columns named *_time become UTC datetimes, day/week/date columns dates.
    """
    args = [REPORT, "--data", DATA, "--quiet", "sql", "--format", "json", "-f"]
    stdin = None
    if DAY:
        # The daily queries read the variable review_day; set it first.
        args.append("-")
        stdin = f"SET VARIABLE review_day = DATE '{DAY}';\n" + sql_text(name)
    else:
        args.append(str(sql_path(name)))
    try:
        proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise RuntimeError(f"{REPORT} not found: run `make build` or set CALLSCOPE_REPORT") from None
    if proc.returncode != 0:
        raise RuntimeError(f"{name}.sql failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    rows = json.loads(proc.stdout or "[]")
    df = pd.DataFrame(rows)
    for col in df.columns:
        if col.endswith("_time"):
            df[col] = pd.to_datetime(df[col], utc=True)
        elif col in ("day", "week", "date"):
            df[col] = pd.to_datetime(df[col]).dt.date
    return df


def short_id(rid, n=10):
    """A long recording id shortened for tables (the full id stays in the data)."""
    rid = str(rid)
    return rid if len(rid) <= 2 * n + 1 else rid[:n] + "…" + rid[-n:]


def describe():
    """One line about the dataset the notebook reads."""
    return f"dataset {DATA} via {REPORT}" + (f", review day {DAY}" if DAY else "")
