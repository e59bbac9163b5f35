"""Listing signature requests: one page, and every page in turn."""

from __future__ import annotations

import pytest

from hsnb.client import BadRequest, ListPage
from tests.client.conftest import create


@pytest.fixture
def five(client):
    """Five requests, titled 1 to 5, oldest first."""
    return [create(client, title=f"Request {n}").signature_request_id for n in range(1, 6)]


def test_list_page(client, five):
    page = client.list_page(page=2, page_size=2)
    assert isinstance(page, ListPage)
    assert (page.page, page.num_pages, page.num_results, page.page_size) == (2, 3, 5, 2)
    assert [sr.title for sr in page] == ["Request 3", "Request 2"]
    assert page.has_next and len(page) == 2


def test_last_page_has_no_next(client, five):
    page = client.list_page(page=3, page_size=2)
    assert [sr.signature_request_id for sr in page] == [five[0]]
    assert not page.has_next


def test_list_iterates_every_page(client, five, exchanges):
    found = [sr.signature_request_id for sr in client.list(page_size=2)]
    assert found == five[::-1]
    pages = [e.params["page"] for e in exchanges if e.path == "/signature_request/list"]
    assert pages == [1, 2, 3]


def test_list_is_lazy_and_bounded_by_max_pages(client, five, exchanges):
    assert len(list(client.list(page_size=2, max_pages=1))) == 2
    assert len(exchanges) == 1


def test_list_with_a_query(client, five):
    assert [sr.title for sr in client.list(query="Request 4")] == ["Request 4"]


def test_list_of_nothing(client):
    assert list(client.list()) == []


def test_page_size_out_of_range(client):
    with pytest.raises(BadRequest) as caught:
        client.list_page(page_size=101)
    assert caught.value.error_path == "page_size"
