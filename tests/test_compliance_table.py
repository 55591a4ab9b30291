"""docs/compliance.md's table of rules names, in every row, tests that exist: a row whose test was
renamed or deleted would promise what nothing checks any more."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"`((?:browser/)?test_\w+\.py)::(test_\w+)`")


def compliance_rows() -> list[str]:
    doc = (ROOT / "docs" / "compliance.md").read_text()
    section = doc.split("# Deliverability and compliance", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| **")]


def test_every_row_of_the_compliance_table_names_a_test_that_exists():
    rows = compliance_rows()
    assert len(rows) >= 12  # RFC 2369 and 8058, the bulk-sender rules, GDPR, CAN-SPAM
    for row in rows:
        references = REFERENCE.findall(row)
        assert references, f"no test named in: {row[:60]}"
        for file, name in references:
            source = (ROOT / "tests" / file).read_text()
            assert re.search(rf"^def {name}\(", source, re.M), f"{file}::{name} is gone"
