"""``placename_to_wkt`` and the command's ``--location`` (sentinelsat 1.x), against a local
stand-in for the Nominatim geocoder (its GeoJSON answer) and the local hub."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from kit import BackgroundServer

import sentinelsat
from sentinelsat import SentinelAPI, placename_to_wkt

from .test_cli_1x import product_lines, run, searches

#: What Nominatim answers for a place (``format=geojson``): the first match's properties, its
#: bbox ``[minX, minY, maxX, maxY]`` and a point.
PLACES = {
    "Amazonas": {
        "type": "Feature",
        "properties": {"place_id": 1, "display_name": "Amazonas, Brasil", "type": "state"},
        "bbox": [-66.2695, -8.0592, -57.3047, 0.7031],
        "geometry": {"type": "Point", "coordinates": [-61.8, -3.7]},
    }
}


class Geocoder(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_GET(self):
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.requests.append(
            {"path": url.path, "query": query, "agent": self.headers["User-Agent"]}
        )
        if query.get("q") == "refused":
            self.send_response(503)
            self.end_headers()
            return
        features = [PLACES[query["q"]]] if query.get("q") in PLACES else []
        body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def geocoder(monkeypatch):
    Geocoder.requests = []
    with BackgroundServer(Geocoder) as server:
        monkeypatch.setenv("SENTINELSAT_NOMINATIM_URL", f"http://127.0.0.1:{server.port}/search")
        yield Geocoder.requests


def test_a_place_is_its_bounding_box_as_an_envelope(geocoder):
    envelope, info = placename_to_wkt("Amazonas")
    assert envelope == "ENVELOPE(-66.2695, -57.3047, 0.7031, -8.0592)"  # minX, maxX, maxY, minY
    assert info == {
        **PLACES["Amazonas"]["properties"],
        "bbox": [-66.2695, -8.0592, -57.3047, 0.7031],
    }
    [request] = geocoder
    assert request["query"] == {"q": "Amazonas", "format": "geojson", "limit": "1"}
    assert request["agent"] == f"sentinelsat/{sentinelsat.__version__}"


def test_importable_where_1x_programs_find_it():
    from sentinelsat import sentinel

    assert sentinel.placename_to_wkt is placename_to_wkt


def test_an_unknown_place_is_a_value_error(geocoder):
    with pytest.raises(ValueError, match='Unable to find a matching location for "Atlantis"'):
        placename_to_wkt("Atlantis")


def test_a_refusal_of_the_geocoder_is_an_http_error(geocoder):
    with pytest.raises(requests.HTTPError):
        placename_to_wkt("refused")


def test_the_envelope_is_an_area_of_a_search(geocoder, local_hub):
    envelope, _ = placename_to_wkt("Amazonas")
    assert SentinelAPI.format_query(area=envelope) == (
        'footprint:"Intersects(ENVELOPE(-66.2695, -57.3047, 0.7031, -8.0592))"'
    )


def test_location_searches_the_place_and_says_which(geocoder, local_hub):
    polygon = (
        "POLYGON((-66.2695 -8.0592,-57.3047 -8.0592,-57.3047 0.7031,-66.2695 0.7031,"
        "-66.2695 -8.0592))"
    )
    by_place = run(local_hub, ["--location", "Amazonas", "-s", "NOW-60DAYS"])
    by_polygon = run(local_hub, ["-g", polygon, "-s", "NOW-60DAYS"])
    assert by_place.exit_code == 0, by_place.stderr
    assert "Searching Amazonas, Brasil (995 km x 974 km)" in by_place.stderr
    assert product_lines(by_place) == product_lines(by_polygon) != []
    place_search, polygon_search = searches(local_hub)[-2:]
    assert place_search == polygon_search and "Intersects(POLYGON((-66.2695 -8.0592" in place_search


def test_geometry_takes_precedence_over_location(geocoder, local_hub):
    polygon = "POLYGON((10 10,11 10,11 11,10 11,10 10))"
    result = run(local_hub, ["--location", "Amazonas", "-g", polygon])
    assert result.exit_code == 0, result.stderr
    assert "Intersects(POLYGON((10 10" in searches(local_hub)[-1]
    assert geocoder == []  # not even asked


def test_an_unknown_location_is_a_usage_error(geocoder, local_hub):
    result = run(local_hub, ["--location", "Atlantis"])
    assert result.exit_code == 2
    assert 'Unable to find a matching location for "Atlantis"' in result.stderr
    assert searches(local_hub) == []
