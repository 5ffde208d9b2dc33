import pytest

from bot.callbacks import KINDS, pack, parse


def test_round_trip():
    assert parse(pack("faq", "placement.requirements")).args == ("placement.requirements",)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "faq",
        "faq:0:placement.requirements",
        "faq:2:x",
        "nope:1:x",
        "faq:1:",
        "faq:1:a:b",
        "sec:1:<script>",
        "lang:1:fr",
        "x" * 65,
        "faq:1:" + "a" * 60,
        "menu:1:extra",
    ],
)
def test_stale_forged_or_malformed_data_is_refused(data):
    assert parse(data) is None


def test_packing_refuses_what_would_not_parse():
    with pytest.raises(ValueError):
        pack("faq", "Bad ID with spaces")


def test_every_kind_is_versioned():
    assert all(spec.version >= 1 for spec in KINDS.values())
