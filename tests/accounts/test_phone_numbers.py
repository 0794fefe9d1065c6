"""Phone numbers as people type them (Chinese input methods included) map to one stored form."""
from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.accounts.services import parse_login_name

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"+": "＋", "(": "（", ")": "）",
                                                            "-": "－", " ": "\u3000"}
prefixes = st.sampled_from(["", "+86", "86", "0086", "(+86)", "+86 ", "0086 ", "(+86) ", "+86-"])
separators = st.sampled_from(["", " ", "-", "–", "—", "\u3000", "－"])
mobiles = st.tuples(st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9)) \
    .map(lambda t: "1" + t[0] + t[1])


def typed(number: str, prefix: str, sep: str, widen: list[bool]) -> str:
    text = prefix + number[:3] + sep + number[3:7] + sep + number[7:]
    return "".join(FULL_WIDTH.get(ch, ch) if w else ch for ch, w in zip(text, widen + [False] * len(text)))


@given(mobiles, prefixes, separators, st.lists(st.booleans(), min_size=30, max_size=30))
def test_every_way_of_typing_a_mobile_maps_to_the_same_stored_number(number, prefix, sep, widen):
    parsed = parse_login_name(typed(number, prefix, sep, widen))
    assert parsed is not None and parsed.kind == "phone"
    assert parsed.value == "+86" + number


def test_the_examples_from_the_issue():
    for text in ["１３８００１３８０００", "0086 138 0013 8000", "+86-138-0013-8000",
                 "(+86) 138 0013 8000", "+86 138 0013 8000", "138 0013 8000", "13800138000"]:
        assert parse_login_name(text).value == "+8613800138000", text


junk = st.one_of(
    st.text(st.sampled_from("0123456789 -+()１２３"), max_size=25),
    st.text(max_size=25),
    st.builds(lambda n: "1" + "0" * n, st.integers(0, 20)),
)


@given(junk)
def test_junk_is_refused_or_becomes_a_well_formed_number(text):
    parsed = parse_login_name(text)
    if parsed is None:
        return
    if parsed.kind == "phone":
        assert re.fullmatch(r"\+[1-9][0-9]{7,14}", parsed.value)
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", text), flags=re.ASCII)
        assert parsed.value.lstrip("+").endswith(digits.lstrip("0")[-8:])
    else:
        assert parsed.kind == "email" and "@" in parsed.value


def test_near_misses_are_refused():
    for text in ["1380013800", "138001380000", "12800138000", "138-0013-800a", "٣٨٠٠١٣٨٠٠٠١",
                 "+86 138 0013 800", "0086", "+", "00 86 138", "phone: 13800138000"]:
        assert parse_login_name(text) is None, text


def test_registration_and_login_accept_full_width_digits(auth, client):
    assert auth.register("１３８　００１３　８０００").status_code == 302
    auth.logout()
    assert auth.login("0086 138 0013 8000").status_code == 302
    auth.logout()
    again = auth.register("+86-138-0013-8000")
    assert again.status_code == 400
    assert "已经注册" in again.get_data(as_text=True)
