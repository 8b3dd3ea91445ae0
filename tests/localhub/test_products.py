"""Products are real zips of SAFE folders: members, manifests, checksums and byte ranges."""

from __future__ import annotations

import hashlib
import io
import random
import re
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from datetime import datetime, timezone
from importlib import resources

import pytest
import requests

from sentinelsat.testing import LocalHub
from sentinelsat.testing.content import SafeZipContent, SyntheticContent
from sentinelsat.testing.zipstream import crc32_combine

from .helpers import RECORDED_FILES, odata_url

SPAN = (datetime(2021, 3, 1, tzinfo=timezone.utc), datetime(2021, 4, 1, tzinfo=timezone.utc))
XFDU = "{urn:ccsds:schema:xfdu:1}"
ROOTS = {"Sentinel-1": ".SAFE", "Sentinel-2": ".SAFE", "Sentinel-3": ".SEN3"}
MANIFESTS = {
    "Sentinel-1": "manifest.safe",
    "Sentinel-2": "manifest.safe",
    "Sentinel-3": "xfdumanifest.xml",
}


@pytest.fixture(scope="module")
def hub():
    return LocalHub(products=60, product_size=(8_000, 300_000), date_span=SPAN, seed=5)


def zipped(hub) -> list:
    return [p for p in hub.products if p.platformname in ROOTS]


def body(hub, product) -> bytes:
    return b"".join(hub.product_bytes(product.id))


def data_objects(manifest: bytes) -> dict[str, tuple[int, str]]:
    """``{href: (size, md5)}`` from the dataObjectSection of a manifest."""
    root = ElementTree.fromstring(manifest)
    objects = {}
    for item in root.iter("dataObject"):
        stream = item.find("byteStream")
        location, checksum = stream.find("fileLocation"), stream.find("checksum")
        assert checksum.get("checksumName") == "MD5"
        objects[location.get("href")] = (int(stream.get("size")), checksum.text)
    return objects


def test_every_mission_is_represented(hub):
    assert {p.platformname for p in zipped(hub)} == set(ROOTS)


def test_a_product_is_a_zip_whose_members_match_its_manifest(hub):
    for product in zipped(hub):
        data = body(hub, product)
        assert len(data) == product.size and hashlib.md5(data).hexdigest() == product.md5
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert archive.testzip() is None  # every CRC32 is right
        root = product.identifier + ROOTS[product.platformname]
        names = archive.namelist()
        assert all(name.startswith(root + "/") for name in names)
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        manifest_name = f"{root}/{MANIFESTS[product.platformname]}"
        listed = data_objects(archive.read(manifest_name))
        prefix = "" if product.platformname == "Sentinel-3" else "./"
        members = {
            name[len(root) + 1 :]: archive.read(name) for name in names if name != manifest_name
        }
        assert {prefix + name for name in members} == set(listed)
        for name, content in members.items():
            assert listed[prefix + name] == (len(content), hashlib.md5(content).hexdigest())
        assert f"{root}/preview/quick-look.png" in names
        png = archive.read(f"{root}/preview/quick-look.png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in png
        largest = max(archive.infolist(), key=lambda info: info.file_size)
        assert largest.file_size > product.size - 8_000


def test_the_manifest_has_the_structure_of_a_real_one(hub):
    recorded = (RECORDED_FILES / "manifest.safe").read_bytes()  # ends with a stray "U>" line
    real = ElementTree.fromstring(recorded[: recorded.index(b"</xfdu:XFDU>") + 12])
    product = next(p for p in zipped(hub) if p.platformname == "Sentinel-1")
    archive = zipfile.ZipFile(io.BytesIO(body(hub, product)))
    mine = ElementTree.fromstring(archive.read(f"{product.identifier}.SAFE/manifest.safe"))

    def shape(root):
        return {
            (element.tag, tuple(sorted(element.attrib)))
            for element in root.iter()
            if element.tag
            in ("dataObject", "byteStream", "fileLocation", "checksum", "dataObjectPointer")
        }

    assert mine.tag == real.tag == f"{XFDU}XFDU"
    assert shape(mine) == shape(real)
    for section in ("informationPackageMap", "metadataSection", "dataObjectSection"):
        assert mine.find(section) is not None and real.find(section) is not None


def test_ranges_anywhere_equal_slices_of_the_whole_body(hub):
    rng = random.Random(1)
    for product in zipped(hub)[:8]:
        whole = body(hub, product)
        archive = zipfile.ZipFile(io.BytesIO(whole))
        edges = [0, product.size]
        for info in archive.infolist():  # the borders of headers and member data
            edges += [info.header_offset, info.header_offset + 30 + len(info.filename)]
        for _ in range(20):
            start = rng.choice(edges + [rng.randrange(product.size)])
            end = min(product.size, start + rng.choice([1, 2, 100, 4096, 70_000, product.size]))
            start = min(start, end)
            assert b"".join(product.content.iter_bytes(start, end)) == whole[start:end]


def test_ranges_over_http_equal_slices(make_local_hub):
    hub = make_local_hub(products=3, product_size=200_000)
    product = next(p for p in hub.products if p.platformname in ROOTS)
    with requests.Session() as http:
        http.auth = (hub.user, hub.password)
        whole = http.get(odata_url(hub, product.id, "/$value")).content
        archive = zipfile.ZipFile(io.BytesIO(whole))
        for info in archive.infolist():
            first = info.header_offset
            ranged = http.get(
                odata_url(hub, product.id, "/$value"),
                headers={"Range": f"bytes={first}-{first + 99}"},
            )
            assert ranged.status_code == 206 and ranged.content == whole[first : first + 100]
        tail = http.get(odata_url(hub, product.id, "/$value"), headers={"Range": "bytes=-500"})
        assert tail.content == whole[-500:]


def test_a_large_product_needs_no_pass_over_its_bytes_to_start():
    hub = LocalHub(products=1, product_size=1 << 30, date_span=SPAN)
    product = hub.products[0]
    head = b"".join(product.content.iter_bytes(0, 1 << 20))
    assert head[:4] == b"PK\x03\x04"  # the first local header (a CRC32 combined from blocks)


def test_zip64_when_the_product_reaches_4_gib():
    size = (4 << 30) + 12_345
    product = LocalHub(products=20, product_size=size, date_span=SPAN).products
    product = next(p for p in product if p.platformname == "Sentinel-2")
    content = product.content
    archive = content.archive
    # the manifest lists the measurement file's MD5: skip the 4 GiB pass for this structure test
    measurement = archive.measurement
    from sentinelsat.testing import content as content_module

    content_module._store((*measurement.cache_key(), "md5"), "0" * 32)
    reader = ContentReader(content)
    with zipfile.ZipFile(reader) as opened:
        infos = opened.infolist()
        largest = max(infos, key=lambda info: info.file_size)
        assert largest.file_size > 4 << 30
        assert sum(info.file_size for info in infos) < size
        manifest = next(info for info in infos if info.filename.endswith("manifest.safe"))
        assert manifest.header_offset > 4 << 30
        listed = data_objects(opened.read(manifest))  # the CRC32 of a member after 4 GiB
        assert ("./" + largest.filename.split("/", 1)[1]) in listed
    assert reader.read_bytes < 1 << 20


class ContentReader(io.RawIOBase):
    """A seekable file over a content's byte ranges."""

    def __init__(self, content):
        self.content, self.position, self.read_bytes = content, 0, 0

    def seekable(self):
        return True

    def readable(self):
        return True

    def seek(self, offset, whence=0):
        base = {0: 0, 1: self.position, 2: self.content.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self):
        return self.position

    def readinto(self, buffer):
        end = min(self.content.size, self.position + len(buffer))
        data = b"".join(self.content.iter_bytes(self.position, end))
        buffer[: len(data)] = data
        self.position += len(data)
        self.read_bytes += len(data)
        return len(data)


def test_sentinel5p_products_stay_single_netcdf_files(hub):
    product = next(p for p in hub.products if p.platformname == "Sentinel-5 Precursor")
    assert isinstance(product.content, SyntheticContent)
    assert product.download_name.endswith(".nc") and not body(hub, product).startswith(b"PK")


@pytest.mark.parametrize("size", [1800, 2500, 6000, 7500, 9999, 65536, 65537])
def test_any_size_from_2_kb_is_an_exact_zip(hub, size):
    for product in zipped(hub)[:6]:
        content = SafeZipContent(0, product.id, size, product.identifier, product.platformname,
                                 product.attributes, product.creationdate)  # fmt: skip
        data = b"".join(content.iter_bytes())
        assert len(data) == size
        assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


def test_a_product_too_small_for_a_zip_is_plain_bytes(hub):
    product = zipped(hub)[0]
    content = SafeZipContent(0, product.id, 700, product.identifier, product.platformname,
                             product.attributes, product.creationdate)  # fmt: skip
    assert content.archive is None and content.archive_files() is None
    assert len(b"".join(content.iter_bytes())) == 700


def test_checksums_are_deterministic_and_cached_across_hubs():
    first = LocalHub(products=4, product_size=100_000, date_span=SPAN, seed=8).products
    second = LocalHub(products=4, product_size=100_000, date_span=SPAN, seed=8).products
    assert [p.md5 for p in first] == [p.md5 for p in second]
    assert [b"".join(p.content.iter_bytes()) for p in first] == [
        b"".join(p.content.iter_bytes()) for p in second
    ]
    assert len({p.md5 for p in first}) == 4


def test_sha3_digest(hub):
    product = zipped(hub)[0]
    assert product.content.digest("sha3_256") == hashlib.sha3_256(body(hub, product)).hexdigest()


def test_crc32_combine_and_block_crcs():
    a, b = random.Random(3).randbytes(100_000), random.Random(4).randbytes(70_001)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    for size in (0, 1, 65536, 65537, 300_000):
        content = SyntheticContent(2, "key", size)
        assert content.crc32() == zlib.crc32(b"".join(content.iter_bytes()))


def test_the_recorded_products_are_the_real_zips():
    hub = LocalHub(products=0, include_recorded=True)
    for product in hub.products:
        data = body(hub, product)
        packaged = resources.files("sentinelsat.testing") / "data" / product.download_name
        assert data == packaged.read_bytes()
        files = product.content.archive_files()
        assert {f.path for f in files} == {
            n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if not n.endswith("/")
        }
        assert re.fullmatch(r"S1A_WV_OCN__.*\.zip", product.download_name)


def test_the_same_product_id_with_other_dates_has_its_own_checksum():
    # product ids do not depend on the date span, the names and manifests inside do
    other = (datetime(2022, 3, 1, tzinfo=timezone.utc), datetime(2022, 4, 1, tzinfo=timezone.utc))
    first = next(
        p for p in LocalHub(products=5, date_span=SPAN).products if p.platformname in ROOTS
    )
    second = LocalHub(products=5, date_span=other).product(first.id)
    assert first.identifier != second.identifier and first.size == second.size
    for product in (first, second):
        assert product.md5 == hashlib.md5(b"".join(product.content.iter_bytes())).hexdigest()
