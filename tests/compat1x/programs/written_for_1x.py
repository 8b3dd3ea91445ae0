"""A program written for sentinelsat 1.2.1, as such programs are: run unchanged by the tests.

Usage: python written_for_1x.py OUTPUT_DIRECTORY (the server in DHUS_URL, DHUS_USER,
DHUS_PASSWORD). Prints one line per check.
"""

import os
import sys

from sentinelsat import (
    InvalidKeyError,
    LTAError,
    LTATriggered,
    SentinelAPI,
    ServerError,
    UnauthorizedError,
    make_path_filter,
)
from sentinelsat.exceptions import SentinelAPIError
from sentinelsat.products import make_size_filter

out = sys.argv[1]
url, user, password = os.environ["DHUS_URL"], os.environ["DHUS_USER"], os.environ["DHUS_PASSWORD"]

api = SentinelAPI(user, password, url, show_progressbars=False, timeout=60)
api.concurrent_dl_limit = 2
api.dl_retry_delay = 0
print("version", api.dhus_version)

products = api.query(platformname={"Sentinel-1", "Sentinel-2"}, limit=6)
print("found", len(products))

result = api.download_all(products, directory_path=out)
print(
    "downloaded",
    len(result.downloaded),
    "triggered",
    len(result.retrieval_triggered),
    "failed",
    len(result.failed),
)
for _, info in result.downloaded.items():
    assert os.path.isfile(info["path"]), info["path"]

ids = list(products)
try:
    api.download_all(["no-such-product"] + ids, out, fail_fast=True)
except InvalidKeyError as error:
    print("fail_fast raised", type(error).__name__)

result = api.download_all(["no-such-product"] + ids[:1], out)
for product_id, info in result.failed.items():
    print("failed", product_id, type(info["exception"]).__name__)

info = api.get_product_odata(ids[0])
print(
    "odata", info["quicklook_url"].endswith("/Products('Quicklook')/$value"), info["manifest_name"]
)
quicklook = api.download_quicklook(ids[0], out)
print("quicklook", os.path.basename(quicklook["path"]), quicklook["error"] == "")
downloaded, failed = api.download_all_quicklooks(ids[:2], out)
print("quicklooks", len(downloaded), len(failed))

partial = api.download(ids[0], os.path.join(out, "nodes"), nodefilter=make_path_filter("*.xml"))
print("nodes", sorted(os.path.basename(path) for path in partial["nodes"])[:1])
small = api.download(ids[1], os.path.join(out, "small"), nodefilter=make_size_filter(4096))
print(
    "small",
    all(node["size"] <= 4096 for name, node in small["nodes"].items() if name != "manifest.safe"),
)

print("online", api.is_online(ids[0]), api.trigger_offline_retrieval(ids[0]))
with api.get_stream(ids[0]) as stream:
    print("stream", stream.status_code, len(stream.content) == info["size"])

try:
    api.get_product_odata("no-such-product")
except InvalidKeyError as error:
    print("invalid key", isinstance(error, KeyError), isinstance(error, SentinelAPIError))

try:
    SentinelAPI(user, "wrong", url).count()
except UnauthorizedError as error:
    print("unauthorized", error.response.status_code)

for name in (LTAError, LTATriggered, ServerError):
    assert issubclass(name, SentinelAPIError)
print("done")
