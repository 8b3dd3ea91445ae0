"""The keyword and order tables of ``docs/cdse.rst`` list what the code translates."""

from __future__ import annotations

import re
from pathlib import Path

from sentinelsat.backends.cdse_query import CLIENT_ORDER, KEYWORDS, SERVER_ORDER

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cdse.rst"
ROW = re.compile(r"^``(\w+)``\s{2,}(\S.*?)\s*$")


def table(label: str) -> list[tuple[str, str]]:
    """The rows (first column, second column) of the simple table after ``.. _label:``."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index(f".. _{label}:")
    borders = [i for i in range(start, len(lines)) if lines[i].startswith("=====")][:3]
    assert len(borders) == 3, f"no table after {label}"
    columns = [match.start() for match in re.finditer(r"=+", lines[borders[0]])]
    rows = []
    for line in lines[borders[1] + 1 : borders[2]]:
        if ROW.match(line):
            second = line[columns[1] : columns[2] if len(columns) > 2 else None].strip()
            rows.append((ROW.match(line).group(1), second))
    return rows


def test_the_keyword_table_is_the_code():
    rows = table("cdse-keywords")
    assert [name for name, _ in rows] == list(KEYWORDS)
    assert dict(rows) == {name: f"``{keyword.cdse}``" for name, keyword in KEYWORDS.items()}


def test_the_order_table_is_the_code():
    rows = dict(table("cdse-order"))
    assert set(rows) == set(SERVER_ORDER) | set(CLIENT_ORDER)
    for name, field in SERVER_ORDER.items():
        assert rows[name] == f"the server: ``{field}``"
    for name in CLIENT_ORDER:
        assert rows[name] == "sentinelsat"


def test_the_table_reader_reads_rows():
    rows = table("cdse-keywords")
    assert rows[0] == ("beginposition", "``ContentDate/Start``")
    assert len(rows) == len(KEYWORDS) > 10
