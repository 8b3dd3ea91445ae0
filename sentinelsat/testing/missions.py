"""Realistic synthetic product metadata for Sentinel-1, -2, -3 and -5P.

Each ``make_*`` function takes a seeded :class:`random.Random`, the product's sensing start
and its footprint centre, and returns a :class:`Draft`: the identifier, the download name
and the typed OpenSearch attributes (without the ones common to every product, which
:mod:`sentinelsat.testing.catalogue` adds).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .formatting import Ring, format_compact_date

_UTC = timezone.utc


@dataclass
class Draft:
    """Mission-specific parts of a product, before the catalogue completes it."""

    identifier: str
    extension: str
    platformname: str
    producttype: str
    beginposition: datetime
    endposition: datetime
    footprint: Ring
    str_attributes: dict[str, str] = field(default_factory=dict)
    int_attributes: dict[str, int] = field(default_factory=dict)
    double_attributes: dict[str, float] = field(default_factory=dict)
    extra_dates: dict[str, datetime] = field(default_factory=dict)
    summary_mode: str = ""
    instrument: str = ""
    download_extension: str = ".zip"


def _weighted(rng: random.Random, choices: dict[str, float]) -> str:
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def _orbit(begin: datetime, launch: datetime, orbits_per_day: float) -> int:
    return int((begin - launch).total_seconds() / 86_400 * orbits_per_day) + 1


def footprint_box(
    lon: float, lat: float, width_km: float, height_km: float, angle: float = 0.0
) -> Ring:
    """Return a ``width_km`` x ``height_km`` rectangle centred near ``(lon, lat)``, rotated,
    as a closed ring of ``(lon, lat)`` points.

    The centre is moved if needed so that the rectangle stays inside longitudes -180..180
    and latitudes -85..85 (no footprint crosses the antimeridian).
    """
    half_lat = height_km / 2 / 111.0
    lat = max(-80 + half_lat, min(80 - half_lat, lat)) if half_lat < 80 else 0.0
    scale = max(math.cos(math.radians(lat)), 0.1)
    cos_a, sin_a = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    offsets = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x_km, y_km = dx * width_km / 2, dy * height_km / 2
        rx, ry = x_km * cos_a - y_km * sin_a, x_km * sin_a + y_km * cos_a
        offsets.append((rx / (111.0 * scale), ry / 111.0))
    reach = min(max(abs(dlon) for dlon, _ in offsets), 179.0)
    lon = max(-180 + reach, min(180 - reach, lon))
    corners = [
        (round(max(-180.0, min(180.0, lon + dlon)), 6), round(max(-85.0, min(85.0, lat + dlat)), 6))
        for dlon, dlat in offsets
    ]
    return tuple(corners + [corners[0]])


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}X}"


# --------------------------------------------------------------------------- Sentinel-1
_S1_TYPES = {"GRD": 0.5, "SLC": 0.25, "RAW": 0.1, "OCN": 0.15}
_S1_POLARISATIONS = {"DV": "VV VH", "SV": "VV", "DH": "HH HV", "SH": "HH"}
_S1_LAUNCH = {"S1A": datetime(2014, 4, 3, tzinfo=_UTC), "S1B": datetime(2016, 4, 25, tzinfo=_UTC)}
_S1_NSSDC = {"S1A": "2014-016A", "S1B": "2016-025A"}


def _s1_mode(rng: random.Random, producttype: str) -> str:
    if producttype == "OCN":
        return rng.choice(["IW", "WV"])
    if producttype == "SLC":
        return "IW"
    return "IW" if rng.random() < 0.8 else "EW"


def _s1_swath(mode: str, producttype: str) -> str | None:
    if producttype == "RAW":
        return None
    if mode == "WV":
        return "WV1 WV2"
    if producttype == "SLC":
        return "IW1 IW2 IW3"
    return mode


def make_sentinel1(rng: random.Random, begin: datetime, lon: float, lat: float) -> Draft:
    """Draft a Sentinel-1 GRD, SLC, RAW or OCN product."""
    satellite = rng.choice(["S1A", "S1B"])
    producttype = _weighted(rng, _S1_TYPES)
    mode = _s1_mode(rng, producttype)
    if mode == "WV":
        polarisation = rng.choice(["SV", "SH"])
    elif mode == "EW":
        polarisation = "DH"
    else:
        polarisation = _weighted(rng, {"DV": 0.7, "SV": 0.1, "DH": 0.1, "SH": 0.1})
    level = {"RAW": 0, "GRD": 1, "SLC": 1, "OCN": 2}[producttype]
    code = {"GRD": "GRDH" if mode == "IW" else "GRDM", "SLC": "SLC_", "RAW": "RAW_", "OCN": "OCN_"}
    duration = timedelta(seconds=rng.choice([25, 27, 29]) if mode != "WV" else 440)
    end = begin + duration
    orbit = max(1, _orbit(begin, _S1_LAUNCH[satellite], 175 / 12))
    relative = (orbit - 73) % 175 + 1 if satellite == "S1A" else (orbit - 27) % 175 + 1
    datatake = rng.randrange(0x10000, 0xFFFFFF)
    identifier = (
        f"{satellite}_{mode}_{code[producttype]}_{level}S{polarisation}_"
        f"{format_compact_date(begin)}_{format_compact_date(end)}_{orbit:06d}_{datatake:06X}_{_hex(rng, 4)}"
    )
    direction = rng.choice(["ASCENDING", "DESCENDING"])
    angle = -12 if direction == "ASCENDING" else 12
    size_km = {"IW": (250, 170), "EW": (400, 400), "WV": (20, 20)}[mode]
    draft = Draft(
        identifier=identifier,
        extension=".SAFE",
        platformname="Sentinel-1",
        producttype=producttype,
        beginposition=begin,
        endposition=end,
        footprint=footprint_box(lon, lat, *size_km, angle=angle),
        summary_mode=_S1_POLARISATIONS[polarisation],
        instrument="SAR-C SAR",
    )
    swath = _s1_swath(mode, producttype)
    draft.str_attributes = {
        "acquisitiontype": "NOMINAL",
        "instrumentshortname": "SAR-C SAR",
        "sensoroperationalmode": mode,
        "instrumentname": "Synthetic Aperture Radar (C-band)",
        **({"swathidentifier": swath} if swath else {}),
        "platformidentifier": _S1_NSSDC[satellite],
        "orbitdirection": direction,
        "polarisationmode": _S1_POLARISATIONS[polarisation],
        "productclass": "S",
        "producttype": producttype,
        "platformname": "Sentinel-1",
        "status": "ARCHIVED",
        "timeliness": rng.choice(["Fast-24h", "NRT-3h"]),
    }
    draft.int_attributes = {
        "missiondatatakeid": datatake,
        "orbitnumber": orbit,
        "lastorbitnumber": orbit,
        "relativeorbitnumber": relative,
        "lastrelativeorbitnumber": relative,
    }
    if producttype != "OCN":
        draft.int_attributes["slicenumber"] = rng.randint(1, 20)
    return draft


# --------------------------------------------------------------------------- Sentinel-2
_S2_LAUNCH = {"S2A": datetime(2015, 6, 23, tzinfo=_UTC), "S2B": datetime(2017, 3, 7, tzinfo=_UTC)}
_S2_NSSDC = {"S2A": "2015-028A", "S2B": "2017-013A"}
_MGRS_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_MGRS_COLUMNS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_MGRS_ROWS = "ABCDEFGHJKLMNPQRSTUV"


def mgrs_tile(rng: random.Random, lon: float, lat: float) -> str:
    """Return an MGRS-looking tile id (``31TCF``) for a point."""
    zone = min(60, int((lon + 180) // 6) + 1)
    band = _MGRS_BANDS[max(0, min(len(_MGRS_BANDS) - 1, int((lat + 80) // 8)))]
    return f"{zone:02d}{band}{rng.choice(_MGRS_COLUMNS)}{rng.choice(_MGRS_ROWS)}"


def make_sentinel2(rng: random.Random, begin: datetime, lon: float, lat: float) -> Draft:
    """Draft a Sentinel-2 S2MSI1C or S2MSI2A tile product."""
    satellite = rng.choice(["S2A", "S2B"])
    level_2a = rng.random() < 0.45
    baseline = rng.choice(["02.09", "03.01", "04.00"])
    orbit = max(1, _orbit(begin, _S2_LAUNCH[satellite], 14.3))
    relative = rng.randint(1, 143)
    tile = mgrs_tile(rng, lon, lat)
    generated = begin + timedelta(minutes=rng.randint(40, 180), seconds=rng.randint(0, 59))
    identifier = (
        f"{satellite}_MSIL{'2A' if level_2a else '1C'}_{format_compact_date(begin)}_"
        f"N{baseline.replace('.', '')}_R{relative:03d}_T{tile}_{format_compact_date(generated)}"
    )
    draft = Draft(
        identifier=identifier,
        extension=".SAFE",
        platformname="Sentinel-2",
        producttype="S2MSI2A" if level_2a else "S2MSI1C",
        beginposition=begin,
        endposition=begin,
        footprint=footprint_box(lon, lat, 110, 110),
        instrument="MSI",
    )
    draft.str_attributes = {
        "instrumentshortname": "MSI",
        "sensoroperationalmode": "INS-NOBS",
        "instrumentname": "Multi-Spectral Instrument",
        "s2datatakeid": f"G{satellite}_{format_compact_date(begin)}_{orbit:06d}_N{baseline}",
        "platformidentifier": _S2_NSSDC[satellite],
        "orbitdirection": "DESCENDING",
        "platformserialidentifier": f"Sentinel-{satellite[1:]}",
        "processingbaseline": baseline,
        "processinglevel": "Level-2A" if level_2a else "Level-1C",
        "producttype": draft.producttype,
        "platformname": "Sentinel-2",
        "tileid": tile,
    }
    draft.int_attributes = {"orbitnumber": orbit, "relativeorbitnumber": relative}
    cloud = round(100 * rng.random() ** 1.6, 6)
    draft.double_attributes = {"cloudcoverpercentage": cloud}
    if level_2a:
        water = round(rng.uniform(0, 100 - cloud), 6)
        vegetation = round(rng.uniform(0, 100 - cloud - water), 6)
        draft.double_attributes.update(
            vegetationpercentage=vegetation,
            waterpercentage=water,
            snowicepercentage=round(rng.uniform(0, 1), 6),
            notvegetatedpercentage=round(max(0.0, 100 - cloud - water - vegetation - 1), 6),
        )
    return draft


# --------------------------------------------------------------------------- Sentinel-3
_S3_TYPES = {
    "OL_1_EFR___": 0.2,
    "OL_1_ERR___": 0.1,
    "OL_2_LFR___": 0.15,
    "OL_2_WFR___": 0.1,
    "SR_1_SRA___": 0.15,
    "SR_2_LAN___": 0.1,
    "SL_1_RBT___": 0.1,
    "SL_2_LST___": 0.1,
}
_S3_INSTRUMENTS = {
    "OL": ("OLCI", "Ocean Land Colour Instrument", (1270, 1200)),
    "SR": ("SRAL", "Sar Radar ALtimeter", (40, 3000)),
    "SL": ("SLSTR", "Sea and Land Surface Temperature Radiometer", (1400, 1200)),
}
_S3_LAUNCH = {"S3A": datetime(2016, 2, 16, tzinfo=_UTC), "S3B": datetime(2018, 4, 25, tzinfo=_UTC)}
_S3_NSSDC = {"S3A": "2016-011A", "S3B": "2018-039A"}
_S3_TIMELINESS = {"NR": "Near Real Time", "ST": "Short Time Critical", "NT": "Non Time Critical"}


def make_sentinel3(rng: random.Random, begin: datetime, lon: float, lat: float) -> Draft:
    """Draft a Sentinel-3 OLCI, SRAL or SLSTR product."""
    satellite = rng.choice(["S3A", "S3B"])
    producttype = _weighted(rng, _S3_TYPES)
    short, name, size_km = _S3_INSTRUMENTS[producttype[:2]]
    seconds = 180 if short != "SRAL" else rng.choice([599, 600])
    end = begin + timedelta(seconds=seconds)
    created = end + timedelta(minutes=rng.randint(60, 180), seconds=rng.randint(0, 59))
    orbit = max(1, _orbit(begin, _S3_LAUNCH[satellite], 14.26))
    relative = rng.randint(1, 385)
    cycle = max(1, orbit // 385 + 1)
    frame = "____" if short == "SRAL" else f"{rng.randrange(0, 6000, 60):04d}"
    timeliness = _weighted(rng, {"NR": 0.5, "ST": 0.1, "NT": 0.4})
    centre = rng.choice(["SVL", "LN3", "MAR", "PS1", "PS2"])
    identifier = (
        f"{satellite}_{producttype}_{format_compact_date(begin)}_{format_compact_date(end)}_"
        f"{format_compact_date(created)}_{seconds:04d}_{cycle:03d}_{relative:03d}_{frame}_"
        f"{centre}_O_{timeliness}_{rng.choice([2, 3, 4]):03d}"
    )
    direction = rng.choice(["ascending", "descending"])
    level = producttype[3]
    draft = Draft(
        identifier=identifier,
        extension=".SEN3",
        platformname="Sentinel-3",
        producttype=producttype,
        beginposition=begin,
        endposition=end,
        footprint=footprint_box(lon, lat, *size_km, angle=-10 if direction == "ascending" else 10),
        instrument=short,
        extra_dates={"creationdate": created.replace(microsecond=0)},
    )
    draft.str_attributes = {
        "instrumentshortname": short,
        "sensoroperationalmode": "Earth Observation",
        "instrumentname": name,
        "mode": "EO",
        "platformidentifier": _S3_NSSDC[satellite],
        "orbitdirection": direction,
        "passdirection": direction,
        "relorbitdir": direction,
        "processinglevel": level,
        "processingname": "Data Processing",
        "productlevel": f"L{level}",
        "producttype": producttype,
        "platformname": "Sentinel-3",
        "timeliness": _S3_TIMELINESS[timeliness],
        "onlinequalitycheck": "PASSED",
        "procfacilityorg": "European Space Agency",
    }
    draft.int_attributes = {"orbitnumber": orbit, "relativeorbitnumber": relative}
    if short == "SRAL":
        land = rng.randint(0, 100)
        draft.int_attributes.update(
            lrmpercentage=0, sarpercentage=100, landpercentage=land, openseapercentage=100 - land
        )
    elif producttype.startswith(("OL_2", "SL_")):
        draft.double_attributes = {"cloudcoverpercentage": round(100 * rng.random(), 6)}
    return draft


# --------------------------------------------------------------------------- Sentinel-5P
_S5P_TYPES = {
    "L2__NO2___": 0.25,
    "L2__O3____": 0.15,
    "L2__CO____": 0.15,
    "L2__CH4___": 0.15,
    "L2__CLOUD_": 0.1,
    "L2__AER_AI": 0.1,
    "L1B_RA_BD1": 0.1,
}
_S5P_MODES = {"NRTI": "Near real time", "OFFL": "Offline", "RPRO": "Reprocessing"}
_S5P_LAUNCH = datetime(2017, 10, 13, tzinfo=_UTC)


def make_sentinel5p(rng: random.Random, begin: datetime, lon: float, lat: float) -> Draft:
    """Draft a Sentinel-5 Precursor (TROPOMI) netCDF product."""
    producttype = _weighted(rng, _S5P_TYPES)
    mode = _weighted(rng, {"NRTI": 0.4, "OFFL": 0.5, "RPRO": 0.1})
    minutes = 5 if mode == "NRTI" else 101
    end = begin + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
    produced = end + timedelta(hours=rng.randint(1, 72), minutes=rng.randint(0, 59))
    orbit = max(1, _orbit(begin, _S5P_LAUNCH, 14.2))
    version = rng.choice(["010302", "020400", "020600"])
    identifier = (
        f"S5P_{mode}_{producttype}_{format_compact_date(begin)}_{format_compact_date(end)}_"
        f"{orbit:05d}_{rng.choice([1, 2]):02d}_{version}_{format_compact_date(produced)}"
    )
    height = 2000 if mode == "NRTI" else 6000
    draft = Draft(
        identifier=identifier,
        extension=".nc",
        download_extension=".nc",
        platformname="Sentinel-5 Precursor",
        producttype=producttype,
        beginposition=begin,
        endposition=end,
        footprint=footprint_box(lon, lat, 2600, height, angle=rng.choice([-8, 8])),
        instrument="TROPOMI",
    )
    draft.str_attributes = {
        "instrumentshortname": "TROPOMI",
        "instrumentname": "TROPOspheric Monitoring Instrument",
        "platformidentifier": "2017-064A",
        "platformserialidentifier": "Sentinel-5P",
        "processinglevel": producttype[:3].rstrip("_"),
        "processingmode": _S5P_MODES[mode],
        "processorversion": version,
        "producttype": producttype,
        "platformname": "Sentinel-5 Precursor",
    }
    draft.int_attributes = {"orbitnumber": orbit}
    return draft


MISSIONS = {
    "Sentinel-1": (0.35, make_sentinel1),
    "Sentinel-2": (0.35, make_sentinel2),
    "Sentinel-3": (0.2, make_sentinel3),
    "Sentinel-5 Precursor": (0.1, make_sentinel5p),
}
