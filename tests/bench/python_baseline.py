#!/usr/bin/python3
# python_baseline: what a user would write instead of partnersync (json + psycopg2 execute_values),
# timed by sync_bench; with --write-tsv it also writes the engine's COPY rows for reference (a).
"""Fetch LiveChat affiliate licenses window by window and upsert them, or write them as TSV.

Baseline mode (timed by sync_bench): one keep-alive HTTP connection, json.loads per response,
one row tuple per record with the same columns and key derivation as partnersync
(connectors/livechat/shared_tables.cpp), psycopg2.extras.execute_values with the same
INSERT ... ON CONFLICT ... DO UPDATE ... WHERE (...) IS DISTINCT FROM (...), a commit per window.

TSV mode (--write-tsv DIR, not timed): the same rows encoded exactly as the engine stages them
(COPY text, `raw` = the record's JSON text as received), one file per window, for the
`psql \\copy` reference.
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import urllib.parse

COLUMNS = [
    "source", "program", "license_key", "tier", "client_email", "created_at", "end_at",
    "cc_added", "paid", "seats", "plan", "billing_cycle", "chat_installed", "conversations",
    "total_commission", "commission_percent", "utm_source", "utm_medium", "utm_content",
    "utm_term", "campaign", "blocked", "raw",
]
KEY = ["source", "program", "license_key"]
# column -> JSON field ('|' alternatives: the first one present wins), as the stream declares.
JSON_FIELDS = {
    "client_email": "client_email", "created_at": "creation_timestamp",
    "end_at": "end_timestamp", "cc_added": "cc_added", "paid": "paid", "seats": "seats",
    "plan": "plan", "billing_cycle": "billing_cycle", "chat_installed": "chat_installed",
    "conversations": "conversations", "total_commission": "total_commission",
    "commission_percent": "commission_percent", "utm_source": "utm_source",
    "utm_medium": "utm_medium", "utm_content": "utm_content", "utm_term": "utm_term",
    "campaign": "campaign_name|utm_campaign", "blocked": "blocked",
}
TIMESTAMPS = {"created_at", "end_at"}
PATH = "/v2/partners/affiliates/livechat/licenses"


def upsert_sql(table="livechat.affiliate_licenses"):
    """The statement daemon/db/staging_writer.cpp builds, with VALUES instead of the stage."""
    q = lambda name: '"' + name + '"'
    changing = [c for c in COLUMNS if c not in KEY]
    schema, name = table.split(".")
    return ("INSERT INTO " + q(schema) + "." + q(name) + " AS t (" + ", ".join(map(q, COLUMNS)) +
            ") {rows} ON CONFLICT (" + ", ".join(map(q, KEY)) + ") DO UPDATE SET " +
            "".join(q(c) + " = EXCLUDED." + q(c) + ", " for c in changing) +
            "last_changed_at = now() WHERE (" + ", ".join("t." + q(c) for c in changing) +
            ") IS DISTINCT FROM (" + ", ".join("EXCLUDED." + q(c) for c in changing) + ")")


def read_windows(path):
    with open(path) as f:
        return [tuple(line.split()) for line in f if line.strip()]


class Fetcher:
    """One keep-alive connection, as requests.Session or http.client would give a user."""

    def __init__(self, base_url, token, ca_file=None):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme == "https":
            context = ssl.create_default_context(cafile=ca_file)
            self.conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=120,
                                                    context=context)
        else:
            self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        self.headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}

    def get(self, date_from, date_to):
        query = urllib.parse.urlencode({"date_from": date_from, "date_to": date_to})
        self.conn.request("GET", PATH + "?" + query, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            sys.exit("python_baseline: HTTP %d for %s..%s" % (response.status, date_from, date_to))
        return body


def field(record, path):
    for name in path.split("|"):
        if name in record:
            return record[name]
    return None


def key_of(record, ordinals):
    """<creation_timestamp>|<client_email>|<n>, n counting earlier equal pairs in the response."""
    prefix = (record.get("creation_timestamp") or "") + "|" + (record.get("client_email") or "")
    n = ordinals.get(prefix, 0)
    ordinals[prefix] = n + 1
    return prefix + "|" + str(n)


def baseline(args):
    import psycopg2
    import psycopg2.extras

    sql = upsert_sql().format(rows="VALUES %s")
    db = psycopg2.connect(args.dsn)
    cur = db.cursor()
    cur.execute("SET TimeZone = 'UTC'")
    fetcher = Fetcher(args.base_url, args.token, args.ca_file)
    total = received = 0
    for date_from, date_to in read_windows(args.windows):
        body = fetcher.get(date_from, date_to)
        received += len(body)
        records = json.loads(body)["result"]
        ordinals = {}
        rows = []
        for r in records:
            values = {name: field(r, path) for name, path in JSON_FIELDS.items()}
            for c in TIMESTAMPS:
                if values[c] in ("", "0000-00-00 00:00:00"):
                    values[c] = None
            values.update(source=args.source, program="livechat", license_key=key_of(r, ordinals),
                          tier=None, raw=psycopg2.extras.Json(r))
            rows.append(tuple(values[c] for c in COLUMNS))
        if rows:
            psycopg2.extras.execute_values(cur, sql, rows, page_size=args.page_size)
        db.commit()
        total += len(rows)
    print(total, received)


ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value).translate(ESCAPES)


def write_tsv(args):
    """COPY text rows as record_parser.cpp emits them: numbers as sent, raw as received."""
    decoder = json.JSONDecoder(parse_float=str, parse_int=str)
    fetcher = Fetcher(args.base_url, args.token, args.ca_file)
    os.makedirs(args.write_tsv, exist_ok=True)
    total = 0
    for index, (date_from, date_to) in enumerate(read_windows(args.windows)):
        body = fetcher.get(date_from, date_to).decode()
        pos = body.index("[", body.index('"result"')) + 1
        ordinals = {}
        lines = []
        while True:
            while body[pos] in " \n\r\t,":
                pos += 1
            if body[pos] == "]":
                break
            record, end = decoder.raw_decode(body, pos)
            raw = body[pos:end]
            pos = end
            values = {name: field(record, path) for name, path in JSON_FIELDS.items()}
            for c in TIMESTAMPS:
                if values[c] in ("", "0000-00-00 00:00:00"):
                    values[c] = None
            values.update(source=args.source, program="livechat",
                          license_key=key_of(record, ordinals), tier=None, raw=raw)
            lines.append("\t".join(copy_value(values[c]) for c in COLUMNS))
        with open(os.path.join(args.write_tsv, "%05d.tsv" % index), "w") as f:
            if lines:
                f.write("\n".join(lines) + "\n")
        total += len(lines)
    print(total)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--token", default=os.environ.get("LIVECHAT_TOKEN", ""))
    p.add_argument("--ca-file", help="CA bundle for an https:// --base-url")
    p.add_argument("--source", required=True, help="the source name written into every row")
    p.add_argument("--windows", required=True, help="file of 'YYYY-MM-DD YYYY-MM-DD' lines")
    p.add_argument("--dsn", help="libpq DSN of the target database (baseline mode)")
    p.add_argument("--page-size", type=int, default=1000, help="execute_values page size")
    p.add_argument("--write-tsv", metavar="DIR", help="write COPY text files instead of upserting")
    args = p.parse_args()
    if args.write_tsv:
        write_tsv(args)
    elif args.dsn:
        baseline(args)
    else:
        p.error("--dsn or --write-tsv is required")


if __name__ == "__main__":
    main()
