"""The searchable fields of the hub and their Solr types."""

from __future__ import annotations

from datetime import datetime

#: Field name (lower case) -> OpenSearch type group ("str", "int", "double" or "date").
FIELD_TYPES: dict[str, str] = {
    # dates
    "beginposition": "date",
    "endposition": "date",
    "ingestiondate": "date",
    "creationdate": "date",
    "datatakesensingstart": "date",
    "generationdate": "date",
    # integers
    "orbitnumber": "int",
    "lastorbitnumber": "int",
    "relativeorbitnumber": "int",
    "lastrelativeorbitnumber": "int",
    "missiondatatakeid": "int",
    "slicenumber": "int",
    "lrmpercentage": "int",
    "sarpercentage": "int",
    "closedseapercentage": "int",
    "continentalicepercentage": "int",
    "landpercentage": "int",
    "openseapercentage": "int",
    # doubles
    "cloudcoverpercentage": "double",
    "vegetationpercentage": "double",
    "notvegetatedpercentage": "double",
    "waterpercentage": "double",
    "snowicepercentage": "double",
    "unclassifiedpercentage": "double",
    "mediumprobacloudspercentage": "double",
    "highprobacloudspercentage": "double",
    # strings
    "uuid": "str",
    "identifier": "str",
    "filename": "str",
    "format": "str",
    "platformname": "str",
    "platformidentifier": "str",
    "platformserialidentifier": "str",
    "producttype": "str",
    "productclass": "str",
    "productconsolidation": "str",
    "productlevel": "str",
    "processinglevel": "str",
    "processingbaseline": "str",
    "processingmode": "str",
    "processingname": "str",
    "processorversion": "str",
    "instrumentshortname": "str",
    "instrumentname": "str",
    "sensoroperationalmode": "str",
    "swathidentifier": "str",
    "polarisationmode": "str",
    "orbitdirection": "str",
    "passdirection": "str",
    "passnumber": "str",
    "relorbitdir": "str",
    "relpassnumber": "str",
    "relpassdirection": "str",
    "acquisitiontype": "str",
    "timeliness": "str",
    "status": "str",
    "size": "str",
    "mode": "str",
    "tileid": "str",
    "hv_order_tileid": "str",
    "s2datatakeid": "str",
    "level1cpdiidentifier": "str",
    "onlinequalitycheck": "str",
    "procfacilityname": "str",
    "procfacilityorg": "str",
    "pduduration": "str",
    "pdualongtrackcoord": "str",
    "ecmwf": "str",
    "processed": "str",
    "gmlfootprint": "str",
    "collection": "str",
    # geometry
    "footprint": "geo",
}

#: Fields searched by a term written without a field name.
DEFAULT_FIELDS = ("identifier", "filename", "uuid")


def type_of_value(value: object) -> str:
    """Return the OpenSearch type group of a typed attribute value."""
    if isinstance(value, bool):
        raise TypeError("boolean attributes are not supported")
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return "str"
