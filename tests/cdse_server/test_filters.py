"""The ``$filter`` parser and evaluator, on every construct, without a server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from sentinelsat.testing.cdse.filters import (
    AttributeAny,
    BoolOp,
    Compare,
    FilterError,
    FilterOptions,
    Intersects,
    NameFunction,
    Not,
    compile_filter,
    parse,
    parse_datetime,
    tokenize,
)

UTC = timezone.utc
TYPES = {"cloudCover": "Double", "relativeOrbitNumber": "Integer", "productType": "String",
         "sliceProductFlag": "Boolean", "processingDate": "DateTimeOffset"}  # fmt: skip


@dataclass
class Item:
    """A record of the evaluator."""

    name: str = "S2A_MSIL1C_20240101T100000_N0510_R022_T32TQM_20240101T120000.SAFE"
    id: str = "0d8a3cb2-4d1d-4c4e-9d54-1f0e7bd0c6a1"
    collection: str = "SENTINEL-2"
    content_start: datetime = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    content_end: datetime = datetime(2024, 1, 1, 10, 0, 30, tzinfo=UTC)
    publication_date: datetime = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    modification_date: datetime = datetime(2024, 1, 2, 12, 0, 0, 123456, tzinfo=UTC)
    geometry: BaseGeometry | None = field(default_factory=lambda: box(10, 40, 11, 41))
    attribute_values: dict[str, tuple[str, Any]] = field(default_factory=lambda: {
        "cloudCover": ("Double", 12.5), "relativeOrbitNumber": ("Integer", 22),
        "productType": ("String", "IW_GRDH_1S"), "sliceProductFlag": ("Boolean", True),
        "processingDate": ("DateTimeOffset", datetime(2024, 1, 1, 12, tzinfo=UTC)),
    })  # fmt: skip
    attribute_aliases: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"productType": ("GRD",)}
    )
    online: bool = True


def matches(text: str, item: Item | None = None, **options: Any) -> bool:
    options.setdefault("attribute_types", TYPES)
    return compile_filter(parse(text), FilterOptions(**options))(item or Item())


# --------------------------------------------------------------------------- parsing
def test_tokens_of_a_typical_filter():
    tokens = tokenize("ContentDate/Start gt 2019-05-15T00:00:00.000Z and contains(Name,'S1A')")
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "ContentDate/Start"), ("word", "gt"), ("datetime", "2019-05-15T00:00:00.000Z"),
        ("word", "and"), ("word", "contains"), ("punct", "("), ("word", "Name"), ("punct", ","),
        ("string", "'S1A'"), ("punct", ")"),
    ]  # fmt: skip


def test_and_binds_tighter_than_or_and_not_applies_to_one_condition():
    tree = parse("Online eq true or Name eq 'a' and not Name eq 'b'")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    left, right = tree.operands
    assert left == Compare("Online", "eq", left.value, 0) and left.value.value is True
    assert isinstance(right, BoolOp) and right.op == "and"
    assert isinstance(right.operands[1], Not)


def test_parentheses_group():
    tree = parse("(Online eq true or Name eq 'a') and Name ne 'b'")
    assert isinstance(tree, BoolOp) and tree.op == "and"
    assert isinstance(tree.operands[0], BoolOp) and tree.operands[0].op == "or"


def test_name_functions_and_quote_escapes():
    tree = parse("startswith(Name,'it''s')")
    assert tree == NameFunction("startswith", "it's")


def test_attribute_form_keeps_both_casts():
    tree = parse(
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'relativeOrbitNumber' "
        "and att/OData.CSC.IntegerAttribute/Value eq 15)"
    )
    assert isinstance(tree, AttributeAny)
    assert (tree.outer_type, tree.name, tree.inner_type, tree.op, tree.value.value) == (
        "String", "relativeOrbitNumber", "Integer", "eq", 15
    )  # fmt: skip


def test_intersects_parses_the_area():
    tree = parse(
        "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((10 40,11 40,11 41,10 40))')"
    )
    assert isinstance(tree, Intersects) and tree.area.geom_type == "Polygon"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Name eq", "expected a value"),
        ("Name 'x'", "expected an operator"),
        ("Name lt 'x'", "operator 'lt' is not supported for Name"),
        ("Colour eq 'red'", "unknown property 'Colour'"),
        ("(Online eq true", "expected ')'"),
        ("Online eq true)", "unexpected ')'"),
        ("Name eq 'abc", "unterminated string"),
        ("Name eq 'a' and", "expected a condition"),
        ("Online eq true xor Online eq false", "unexpected 'xor'"),
        ("Online EQ true", "expected an operator"),
        ("ContentDate/Start gt '2020-01-01T00:00:00Z'", "needs a datetime"),
        ("ContentDate/Start gt 2020-13-01T00:00:00Z", "invalid datetime"),
        ("Online eq 1", "needs true or false"),
        ("Name eq 12", "needs a quoted string"),
        ("contains(Title,'x')", "expected 'Name'"),
        ("contains(Name,x)", "expected a quoted string"),
        ("OData.CSC.Intersects(area=geography'POLYGON((0 0,1 0,1 1,0 0))')", "SRID=4326"),
        ("OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 0,1 0,1 1))')", "invalid WKT"),
        ("OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 0,1 1,1 0,0 1,0 0))')",
         "invalid geometry"),
        ("OData.CSC.Intersects(area=geography'SRID=4326;LINESTRING(0 0,1 1)')", "unsupported geometry"),
        ("OData.CSC.Intersects(footprint=geography'SRID=4326;POINT(0 0)')", "expected 'area'"),
        ("Attributes/OData.CSC.FloatAttribute/any(a:a/Name eq 'x' and a/OData.CSC.FloatAttribute/Value eq 1)",
         "unknown attribute type"),
        ("Attributes/OData.CSC.DoubleAttribute/any(a:b/Name eq 'x' and a/OData.CSC.DoubleAttribute/Value eq 1)",
         "expected 'a/Name'"),
        ("Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'x' and b/OData.CSC.DoubleAttribute/Value eq 1)",
         "expected 'a/OData.CSC.<Type>Attribute/Value'"),
        ("Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'x' or a/OData.CSC.DoubleAttribute/Value eq 1)",
         "expected 'and'"),
        ("Name eq 'a' # comment", "unexpected character '#'"),
    ],
)  # fmt: skip
def test_syntax_errors_say_what_and_where(text, message):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.position is not None and 0 <= caught.value.position <= len(text)


def test_error_positions_point_at_the_problem():
    with pytest.raises(FilterError) as caught:
        parse("Online eq true and Colour eq 'red'")
    assert caught.value.position == 19
    assert str(caught.value) == "Invalid filter at position 19: unknown property 'Colour'"


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-03", datetime(2024, 5, 3, tzinfo=UTC)),
        ("2024-05-03T10:20", datetime(2024, 5, 3, 10, 20, tzinfo=UTC)),
        ("2024-05-03T10:20:30Z", datetime(2024, 5, 3, 10, 20, 30, tzinfo=UTC)),
        ("2024-05-03T10:20:30.5Z", datetime(2024, 5, 3, 10, 20, 30, 500000, tzinfo=UTC)),
        ("2024-05-03T10:20:30.1234567Z", datetime(2024, 5, 3, 10, 20, 30, 123456, tzinfo=UTC)),
        ("2024-05-03T00:00:00.000-04:00", datetime(2024, 5, 3, 4, tzinfo=UTC)),
        ("2024-05-03T02:00:00+0200", datetime(2024, 5, 3, tzinfo=UTC)),
        ("2024-05-03T10:20:30", datetime(2024, 5, 3, 10, 20, 30, tzinfo=UTC)),  # no zone: UTC
    ],
)
def test_datetime_literals(text, expected):
    assert parse_datetime(text) == expected


def test_dates_compare_with_zones_and_without():
    assert matches("ContentDate/Start eq 2024-01-01T10:00:00.000Z")
    assert matches("ContentDate/Start eq 2024-01-01T10:00:00")
    assert matches("ContentDate/Start eq 2024-01-01T11:00:00+01:00")
    assert not matches("ContentDate/Start eq 2024-01-01T10:00:00-01:00")
    assert matches("ContentDate/Start ge 2024-01-01T10:00:00Z and ContentDate/Start lt 2024-01-02")
    assert matches("ContentDate/End gt 2024-01-01T10:00:29.999Z")
    assert not matches("ContentDate/End le 2024-01-01T10:00:29.999Z")
    assert matches("PublicationDate le 2024-01-01T12:00:00Z and PublicationDate ne 2024-01-01")
    assert matches("ModificationDate gt 2024-01-02T12:00:00.123455Z")
    assert not matches("ModificationDate gt 2024-01-02T12:00:00.123456Z")


def test_an_unencoded_plus_of_an_offset_is_a_syntax_error():
    # a '+' left unencoded in a URL arrives as a space, as the service warns
    with pytest.raises(FilterError):
        parse("ContentDate/Start gt 2024-01-01T10:00:00 01:00")


# --------------------------------------------------------------------------- evaluation
def test_properties():
    item = Item()
    assert matches(f"Id eq {item.id}") and matches(f"Id eq '{item.id.upper()}'")
    assert not matches("Id eq 00000000-0000-0000-0000-000000000000")
    assert matches("Collection/Name eq 'SENTINEL-2'") and not matches(
        "Collection/Name eq 'SENTINEL-1'"
    )
    assert matches(f"Name eq '{item.name}'") and matches("Name ne 'other'")
    assert matches("Online eq true") and not matches("Online eq true", Item(online=False))
    assert matches("Online ne false")


def test_name_functions_are_case_sensitive():
    assert matches("contains(Name,'MSIL1C')") and not matches("contains(Name,'msil1c')")
    assert matches("startswith(Name,'S2A_')") and not matches("startswith(Name,'S1A_')")
    assert matches("endswith(Name,'.SAFE')") and not matches("endswith(Name,'.SEN3')")


def test_boolean_logic():
    assert matches("not (Collection/Name eq 'SENTINEL-1')")
    assert matches("Collection/Name eq 'SENTINEL-1' or Collection/Name eq 'SENTINEL-2'")
    assert not matches("Collection/Name eq 'SENTINEL-2' and Online eq false")
    assert matches("not not Online eq true")


def test_intersects_points_polygons_and_multipolygons():
    inside = "OData.CSC.Intersects(area=geography'SRID=4326;POINT(10.5 40.5)')"
    assert matches(inside) and not matches(inside.replace("10.5 40.5", "20 20"))
    polygon = "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((10.9 40.9,12 40.9,12 42,10.9 40.9))')"
    assert matches(polygon)
    assert not matches(polygon, Item(geometry=None))
    multi = ("OData.CSC.Intersects(area=geography'SRID=4326;MULTIPOLYGON(((0 0,1 0,1 1,0 0)),"
             "((10.2 40.2,10.4 40.2,10.4 40.4,10.2 40.2)))')")  # fmt: skip
    assert matches(multi)
    with pytest.raises(FilterError, match="MULTIPOLYGON"):
        matches(multi, multipolygon=False)
    assert matches(inside, Item(geometry=Point(10.5, 40.5).buffer(0.1)))


def test_attributes_are_coerced_by_their_real_type_whatever_the_casts():
    assert matches(
        "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
        "att/OData.CSC.DoubleAttribute/Value le 40.00)"
    )
    # mixed casts, a string for an integer and an integer for a double all work
    assert matches(
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.IntegerAttribute/Value eq 22)"
    )
    assert matches(
        "Attributes/OData.CSC.IntegerAttribute/any(a:a/Name eq 'relativeOrbitNumber' and "
        "a/OData.CSC.StringAttribute/Value eq '22')"
    )
    assert not matches(
        "Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'cloudCover' and "
        "a/OData.CSC.DoubleAttribute/Value lt 12)"
    )
    assert matches(
        "Attributes/OData.CSC.BooleanAttribute/any(a:a/Name eq 'sliceProductFlag' and "
        "a/OData.CSC.BooleanAttribute/Value eq true)"
    )
    assert matches(
        "Attributes/OData.CSC.DateTimeOffsetAttribute/any(a:a/Name eq 'processingDate' and "
        "a/OData.CSC.DateTimeOffsetAttribute/Value ge 2024-01-01T11:00:00Z)"
    )


def test_a_range_is_two_attribute_clauses():
    clause = ("Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
              "att/OData.CSC.DoubleAttribute/Value {} {})")  # fmt: skip
    assert matches(f"{clause.format('ge', 10)} and {clause.format('le', 20)}")
    assert not matches(f"{clause.format('ge', 13)} and {clause.format('le', 20)}")


def test_string_attributes_and_short_product_types():
    clause = ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
              "att/OData.CSC.StringAttribute/Value eq '{}')")  # fmt: skip
    assert matches(clause.format("IW_GRDH_1S"))
    assert matches(clause.format("GRD"))
    assert not matches(clause.format("GRD"), aliases=False)
    assert not matches(clause.format("SLC"))
    with pytest.raises(FilterError, match="operator 'ne' is not supported"):
        matches(clause.format("GRD").replace("Value eq", "Value ne"))


def test_attribute_values_that_cannot_be_coerced_are_errors():
    with pytest.raises(FilterError, match="is not a valid Double"):
        matches(
            "Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'cloudCover' and "
            "a/OData.CSC.DoubleAttribute/Value le 'cloudy')"
        )
    with pytest.raises(FilterError, match="is not a valid Integer"):
        matches(
            "Attributes/OData.CSC.IntegerAttribute/any(a:a/Name eq 'relativeOrbitNumber' and "
            "a/OData.CSC.IntegerAttribute/Value eq 2.5)"
        )


def test_unknown_attributes_match_nothing_or_are_errors():
    text = ("Attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'colour' and "
            "a/OData.CSC.StringAttribute/Value eq 'red')")  # fmt: skip
    assert not matches(text)
    assert matches(f"not {text}")
    with pytest.raises(FilterError, match="unknown attribute 'colour'"):
        matches(text, unknown_attribute="error")


def test_a_product_without_the_attribute_does_not_match():
    item = Item(attribute_values={})
    assert not matches(
        "Attributes/OData.CSC.DoubleAttribute/any(a:a/Name eq 'cloudCover' and "
        "a/OData.CSC.DoubleAttribute/Value le 100)",
        item,
    )


def test_a_long_conjunction_is_flat_and_quick():
    clause = "ContentDate/Start gt 2023-01-01T00:00:00Z"
    tree = parse(" and ".join([clause] * 200))
    assert isinstance(tree, BoolOp) and len(tree.operands) == 200
    predicate = compile_filter(tree)
    items = [Item(content_start=Item().content_start + timedelta(days=i)) for i in range(50)]
    assert all(predicate(item) for item in items)
