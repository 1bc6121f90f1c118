"""Simplified Chinese is the default language: the committed catalogue has a
translation for every message and the compiled .mo matches the .po."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(LOCALE / "django.po"))


def test_every_message_is_translated(catalogue):
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    assert not missing, f"{len(missing)} untranslated: {missing[:10]}"


def test_no_translation_is_left_fuzzy(catalogue):
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"


def test_the_compiled_catalogue_matches_the_source(catalogue):
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.mofile(str(LOCALE / "django.mo"))}
    source = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in catalogue.translated_entries()}
    stale = sorted(msgid for key, msgid in ((k, k[1]) for k in source) if compiled.get(key) != source[key])
    assert not stale, f"django.mo is stale (run `make messages`): {stale[:10]}"


def test_chinese_is_what_a_user_sees_by_default():
    with translation.override("zh-hans"):
        assert translation.gettext("Sign in") != "Sign in"
