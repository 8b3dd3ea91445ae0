"""Fixtures and helpers of the local CDSE's server tests (plain ``requests``)."""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import datetime, timezone

import pytest
import requests

from sentinelsat.testing.catalogue import CatalogueSpec, Product, build_catalogue

#: A fixed sensing span, so that dates in assertions do not follow the clock.
SPAN = (datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 3, 31, tzinfo=timezone.utc))


def password_grant(cdse, **fields) -> requests.Response:
    form = {"grant_type": "password", "username": cdse.user, "password": cdse.password,
            "client_id": "cdse-public", **fields}  # fmt: skip
    return requests.post(cdse.token_url, data=form)


def access_token(cdse) -> str:
    reply = password_grant(cdse)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def products_list(cdse, **params) -> requests.Response:
    return requests.get(cdse.url + "Products", params=params)


@pytest.fixture(scope="session")
def many_products() -> list[Product]:
    """11,400 products: 150 generated ones, then copies of them under new ids (cheap to build;
    equal dates exercise the Id tie-break)."""
    base = build_catalogue(CatalogueSpec(150, 3, 2048, SPAN, 0.0))
    rng = random.Random("many")
    copies = [
        dataclasses.replace(product, id=str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        for _ in range(75)
        for product in base
    ]
    return base + copies


@pytest.fixture
def cdse(make_local_cdse):
    """A CDSE of 60 small products over a fixed span."""
    return make_local_cdse(products=60, seed=1, date_span=SPAN, product_size=4096)
