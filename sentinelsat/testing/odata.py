"""OData v1 ``Products`` entities and errors shaped like the DHuS ones in the recordings."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .catalogue import Product
from .formatting import format_double, format_odata_date
from .nodes import Node

#: OpenSearch attribute -> (OData attribute name, category).
ATTRIBUTE_NAMES: dict[str, tuple[str, str]] = {
    "acquisitiontype": ("Acquisition Type", "product"),
    "beginposition": ("Sensing start", "product"),
    "endposition": ("Sensing stop", "product"),
    "ingestiondate": ("Ingestion Date", "product"),
    "creationdate": ("Creation Date", "product"),
    "filename": ("Filename", ""),
    "identifier": ("Identifier", ""),
    "format": ("Format", "product"),
    "gmlfootprint": ("Footprint", "product"),
    "footprint": ("JTS footprint", "product"),
    "instrumentshortname": ("Instrument abbreviation", "instrument"),
    "instrumentname": ("Instrument name", "instrument"),
    "sensoroperationalmode": ("Instrument mode", "instrument"),
    "swathidentifier": ("Instrument swath", "instrument"),
    "missiondatatakeid": ("Mission datatake id", "product"),
    "s2datatakeid": ("Datatake identifier", "product"),
    "platformidentifier": ("NSSDC identifier", "platform"),
    "platformserialidentifier": ("Platform serial identifier", ""),
    "orbitnumber": ("Orbit number (start)", "product"),
    "lastorbitnumber": ("Orbit number (stop)", "product"),
    "relativeorbitnumber": ("Relative orbit (start)", "product"),
    "lastrelativeorbitnumber": ("Relative orbit (stop)", "product"),
    "orbitdirection": ("Pass direction", "product"),
    "polarisationmode": ("Polarisation", "product"),
    "productclass": ("Product class", "product"),
    "producttype": ("Product type", "product"),
    "platformname": ("Satellite name", "platform"),
    "processingbaseline": ("Processing baseline", "product"),
    "processinglevel": ("Processing level", "product"),
    "processingmode": ("Processing mode", "product"),
    "size": ("Size", "summary"),
    "status": ("Status", "product"),
    "timeliness": ("Timeliness Category", "product"),
    "slicenumber": ("Slice number", "product"),
    "cloudcoverpercentage": ("Cloud cover percentage", "product"),
    "tileid": ("Tile Identifier", "product"),
}
_SUMMARY = (("Date", "beginposition"), ("Instrument", "instrumentshortname"),
            ("Mode", "sensoroperationalmode"), ("Satellite", "platformname"))  # fmt: skip
_NOT_ATTRIBUTES = {"uuid"}


def _attribute_text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc)
        return str(value.strftime("%Y-%m-%dT%H:%M:%S.")) + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, float):
        return format_double(value)
    return str(value)


def attribute_values(product: Product) -> dict[str, tuple[str, str]]:
    """Return the OData attributes of a product: ``{name: (value, category)}``."""
    values: dict[str, tuple[str, str]] = {}
    for key, value in product.attributes.items():
        if key in _NOT_ATTRIBUTES:
            continue
        name, category = ATTRIBUTE_NAMES.get(key, (key[:1].upper() + key[1:], "product"))
        values[name] = (_attribute_text(value), category)
    for name, key in _SUMMARY:
        if key in product.attributes:
            values[name] = (_attribute_text(product.attributes[key]), "summary")
    return values


def _attribute(entity_uri: str, name: str, value: str, category: str) -> dict[str, Any]:
    uri = f"{entity_uri}/Attributes('{name.replace(' ', '%20')}')"
    return {
        "__metadata": {"id": uri, "uri": uri, "type": "DHuS.Attribute"},
        "Id": name,
        "Name": name,
        "ContentType": "text/plain",
        "ContentLength": str(len(value)),
        "Value": value,
        "Category": category,
    }


def _deferred(entity_uri: str, name: str) -> dict[str, Any]:
    return {"__deferred": {"uri": f"{entity_uri}/{name}"}}


def product_entity(
    base_url: str,
    product: Product,
    online: bool,
    md5: str,
    expand_attributes: bool = False,
    algorithm: str = "MD5",
) -> dict[str, Any]:
    """Render ``Products('<id>')?$format=json`` (``$expand=Attributes`` when asked).

    Parameters
    ----------
    base_url : str
        The hub URL, ending with ``/``.
    product : Product
        The product.
    online : bool
        Its current availability.
    md5 : str
        The checksum to report (of ``algorithm``).
    expand_attributes : bool
        Include the full attribute list instead of a deferred link.
    algorithm : str
        The checksum's algorithm: ``MD5`` or ``SHA3-256``.
    """
    uri = f"{base_url}odata/v1/Products('{product.id}')"
    attributes: dict[str, Any] = _deferred(uri, "Attributes")
    if expand_attributes:
        results = [
            _attribute(uri, name, value, category)
            for name, (value, category) in sorted(
                attribute_values(product).items(), key=lambda item: item[0].lower()
            )
        ]
        attributes = {"results": results}
    entity = {
        "__metadata": {
            "id": uri,
            "uri": uri,
            "type": "DHuS.Product",
            "content_type": "application/octet-stream",
            "media_src": f"{uri}/$value",
            "edit_media": f"{uri}/$value",
        },
        "Id": product.id,
        "Name": product.identifier,
        "ContentType": "application/octet-stream",
        "ContentLength": str(product.size),
        "ChildrenNumber": "0" if product.recorded else "2",
        "Value": None,
        "CreationDate": format_odata_date(product.creationdate),
        "IngestionDate": format_odata_date(product.ingestiondate),
        "ModificationDate": format_odata_date(product.creationdate),
        "EvictionDate": None,
        "Online": online,
        "OnDemand": not online,
        "ContentDate": {
            "__metadata": {"type": "DHuS.TimeRange"},
            "Start": format_odata_date(product.beginposition),
            "End": format_odata_date(product.endposition),
        },
        "Checksum": {"__metadata": {"type": "DHuS.Checksum"}, "Algorithm": algorithm, "Value": md5},
        "ContentGeometry": product.gml_footprint,
        "Products": _deferred(uri, "Products"),
        "Nodes": _deferred(uri, "Nodes"),
        "Attributes": attributes,
        "Class": _deferred(uri, "Class"),
    }
    return {"d": entity}


def invalid_key_message(key: str) -> str:
    """The message of the server's ``InvalidKeyException``."""
    return f"Invalid key ({key}) to access Products"


def json_error(message: str) -> dict[str, Any]:
    """The JSON body of an OData error."""
    return {"error": {"code": None, "message": {"lang": "en", "value": message}}}


def xml_error(message: str) -> str:
    """The XML body of an OData error (as answered to ``$value`` requests)."""
    return (
        "<?xml version='1.0' encoding='UTF-8'?><error xmlns=\"http://schemas.microsoft.com/ado/2007/08/"
        f'dataservices/metadata"><code/><message xml:lang="en">{message}</message></error>'
    )


def dumps(document: Any) -> bytes:
    """Serialise to JSON the way the server did (``\\/Date(...)\\/``)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text.replace('"/Date(', '"\\/Date(').replace(')/"', ')\\/"').encode("utf-8")


def node_uri(base_url: str, product_id: str, path: tuple[str, ...]) -> str:
    """The URI of a node: ``.../Products('<id>')/Nodes('<root>')/Nodes('<name>')``."""
    return f"{base_url}odata/v1/Products('{product_id}')" + "".join(
        f"/Nodes('{name}')" for name in path
    )


def node_entity(base_url: str, product_id: str, node: Node) -> dict[str, Any]:
    """Render one node (a folder or a file of a product) as the server did (``DHuS.Node``)."""
    uri = node_uri(base_url, product_id, node.path)
    return {
        "__metadata": {
            "id": uri,
            "uri": uri,
            "type": "DHuS.Node",
            "content_type": "application/octet-stream",
            "media_src": f"{uri}/$value",
            "edit_media": f"{uri}/$value",
        },
        "Id": node.name,
        "Name": node.name,
        "ContentType": node.content_type,
        "ContentLength": str(node.size),
        "ChildrenNumber": str(node.children_number),
        "Value": None,
        "Nodes": _deferred(uri, "Nodes"),
        "Attributes": _deferred(uri, "Attributes"),
        "Class": _deferred(uri, "Class"),
    }


def node_collection(base_url: str, product_id: str, nodes: list[Node]) -> dict[str, Any]:
    """Render the children of a node (``.../Nodes?$format=json``) as an OData collection."""
    return {"d": {"results": [node_entity(base_url, product_id, node) for node in nodes]}}
