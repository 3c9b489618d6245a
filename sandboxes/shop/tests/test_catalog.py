from shop.catalog import Catalog, UnknownProduct
from tests.helpers import KETTLE, MUG, SOCKS, make_catalog


def test_search_matches_name_and_tags():
    catalog = make_catalog()
    assert catalog.search("kettle") == [KETTLE]
    assert catalog.search("HIKING") == [SOCKS]


def test_get_unknown_sku():
    catalog = Catalog([MUG])
    try:
        catalog.get("NOPE")
    except UnknownProduct as exc:
        assert "NOPE" in str(exc)
    else:
        raise AssertionError("expected UnknownProduct")


def test_in_category():
    assert {p.sku for p in make_catalog().in_category("kitchen")} == {MUG.sku, KETTLE.sku}
