"""The message catalogues are read file by file as keys are looked up (output/messages.py): the
same texts as all files merged, the main file alone for the keys it holds."""

from __future__ import annotations

import pytest

from socialinvest.output import messages as catalogue
from socialinvest.output.messages import merged_catalogue


@pytest.mark.parametrize("lang", ["da", "en"])
def test_lookups_read_as_the_merged_catalogue(lang):
    merged = merged_catalogue(lang)
    lazy = catalogue._Catalogue(lang)
    texts, units = catalogue._Section(lazy, "messages"), catalogue._Section(lazy, "units")
    assert texts["total"] == merged["messages"]["total"]
    assert len(lazy.pending) == len(catalogue.catalogue_files(lang)) - 1  # the main file only
    assert texts["us_aborted"] == merged["messages"]["us_aborted"]  # a topic file (usage.yaml)
    assert dict(texts) == merged["messages"] and dict(units) == merged["units"]
    assert list(texts) == list(merged["messages"])  # the same order
    with pytest.raises(KeyError):
        texts["no-such-key"]


class Twice:
    def read_text(self, encoding: str) -> str:
        return "messages:\n  total: again\n"


def test_a_key_defined_twice_is_an_error_when_its_file_is_read():
    lazy = catalogue._Catalogue("en")
    lazy.pending.insert(1, ("en/twice.yaml", Twice()))
    texts = catalogue._Section(lazy, "messages")
    assert texts["total"] == merged_catalogue("en")["messages"]["total"]  # the main file only
    with pytest.raises(KeyError, match=r"en/twice\.yaml: messages key 'total' is defined twice"):
        texts["no-such-key"]  # reads on


def test_a_lookup_waits_for_the_file_another_thread_is_reading(monkeypatch):
    """The web server looks texts up from several threads: a second thread must not run out of
    files while the first is still merging the one that holds the key (it got a KeyError)."""
    import threading
    import time

    import yaml

    lazy = catalogue._Catalogue("en")
    name, source = lazy.pending[1]  # the first topic file, read after the main file
    topic = yaml.safe_load(source.read_text(encoding="utf-8"))["messages"]
    key, expected = next(iter(topic.items()))  # the text as the file itself gives it
    texts = catalogue._Section(lazy, "messages")
    reading = threading.Event()
    merge = catalogue._merge

    def slow_merge(merged: dict, file: str, text: str) -> None:
        if file == name:
            reading.set()
            time.sleep(0.5)  # the rest of the files take a few milliseconds
        merge(merged, file, text)

    monkeypatch.setattr(catalogue, "_merge", slow_merge)
    found: dict[str, str] = {}
    first = threading.Thread(target=lambda: found.update(first=texts[key]))
    first.start()
    assert reading.wait(10)
    found["second"] = texts[key]
    first.join()
    assert found == {"first": str(expected), "second": str(expected)}
