#!/usr/bin/env python3
"""Parses a Prometheus text exposition with prometheus_client's own parser (Debian's
python3-prometheus-client) and prints one line per family and sample for the C++ test."""
import sys

from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
for family in text_string_to_metric_families(text):
    print(f"family {family.name} {family.type}")
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        print(f"sample {sample.name}{{{labels}}} {sample.value!r}")
