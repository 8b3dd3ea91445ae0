"""A model of sentinelsat 1.2.1 for the benchmarks (not the real package, which is never
installed here): a minimal client that behaves as 1.2.1 does on the wire and in memory.

- Searches: one ``GET search?format=json&rows=100&start=N&q=...`` after the other; each
  answer decoded with ``response.json()`` and every entry's typed fields converted (dates,
  integers, floats) before the next page is asked for.
- Downloads: the product's OData metadata, a ``HEAD`` of ``$value`` for the file name, then
  one connection per product: ``iter_content(1 MiB)`` written to ``<name>.incomplete``, and
  an MD5 pass over the finished file (1 MiB reads) before the rename. No ``fsync``.
- ``download_all``: the archival status of each product fetched in sequence, then four
  workers; every request and every chunk read holds a semaphore of four (1.x's
  ``dl_limit_semaphore``).

Written here, in our own words, from the behaviour described in
``/work/shared/reference/sentinelsat-1x.md``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from email.message import Message

import requests

# what ``import sentinelsat`` loaded in 1.2.1 besides requests (its memory counts too)
for _name in ("geojson", "geomet.wkt", "html2text", "tqdm.auto"):
    try:
        __import__(_name)
    except ImportError:  # pragma: no cover - not installed here
        pass

CHUNK = 1 << 20
PAGE = 100


def _date(text: str) -> datetime:
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


_CONVERTERS = {"int": int, "long": int, "double": float, "float": float, "date": _date}


def _entry(entry: dict) -> tuple[str, dict]:
    values: dict = {}
    for key, value in entry.items():
        if key in ("str", "int", "long", "double", "float", "date", "bool"):
            for item in value if isinstance(value, list) else [value]:
                content = item.get("content")
                convert = _CONVERTERS.get(key)
                try:
                    values[item["name"]] = convert(content) if convert else content
                except (TypeError, ValueError):
                    values[item["name"]] = content
        elif key == "link":
            for link in value if isinstance(value, list) else [value]:
                values["link_" + link["rel"] if link.get("rel") else "link"] = link["href"]
        else:
            values[key] = value
    return entry["id"], values


class PeerClient:
    """The 1.2.1 model. ``url`` ends with ``/``."""

    def __init__(self, user: str, password: str, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.auth = (user, password)
        self.semaphore = threading.BoundedSemaphore(4)

    def _get(self, url: str, **kwargs) -> requests.Response:
        with self.semaphore:
            response = self.session.get(url, **kwargs)
        response.raise_for_status()
        return response

    # ------------------------------------------------------------------ search
    def query(self, q: str) -> dict:
        products: dict = {}
        start, total = 0, None
        while total is None or start < total:
            response = self._get(
                f"{self.url}search", params={"format": "json", "rows": PAGE, "start": start, "q": q}
            )
            feed = response.json()["feed"]
            total = int(feed["opensearch:totalResults"])
            entries = feed.get("entry", [])
            for entry in entries if isinstance(entries, list) else [entries]:
                key, values = _entry(entry)
                products[key] = values
            start += PAGE
        return products

    # ------------------------------------------------------------------ downloads
    def _odata(self, product_id: str) -> dict:
        url = f"{self.url}odata/v1/Products('{product_id}')?$format=json"
        data = self._get(url).json()["d"]
        return {"id": product_id, "title": data["Name"], "md5": data["Checksum"]["Value"]}

    def download(self, product_id: str, directory: str, info: dict | None = None) -> str:
        info = info or self._odata(product_id)
        value = f"{self.url}odata/v1/Products('{product_id}')/$value"
        with self.semaphore:
            head = self.session.head(value)
        message = Message()
        message["Content-Disposition"] = head.headers.get("Content-Disposition", "")
        path = os.path.join(directory, message.get_filename() or info["title"] + ".zip")
        partial = path + ".incomplete"
        with self.semaphore:
            response = self.session.get(value, stream=True)
        response.raise_for_status()
        with open(partial, "wb") as f:
            chunks = response.iter_content(CHUNK)
            while True:
                with self.semaphore:
                    chunk = next(chunks, None)
                if chunk is None:
                    break
                f.write(chunk)
        digest = hashlib.md5()
        with open(partial, "rb") as f:
            for block in iter(lambda: f.read(CHUNK), b""):
                digest.update(block)
        if digest.hexdigest().lower() != info["md5"].lower():
            os.remove(partial)
            raise RuntimeError(f"checksum of {product_id} differs")
        os.replace(partial, path)
        return path

    def download_all(self, ids: list[str], directory: str) -> dict[str, str]:
        infos = {product_id: self._odata(product_id) for product_id in ids}  # in sequence
        with ThreadPoolExecutor(4) as pool:
            futures = {
                product_id: pool.submit(self.download, product_id, directory, infos[product_id])
                for product_id in ids
            }
            return {product_id: future.result() for product_id, future in futures.items()}
