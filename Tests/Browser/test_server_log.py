"""After every other browser test: the server's log (which names routes and ids) holds no client's name,
neither of the demo's clients nor of those the tests made (Dana's, Sam's and Morgan's caseloads), and
none of the clinical text the tests typed (notes, answers, reasons: each says "Fictional")."""
import os
import re

import pytest

from conftest import DANA, MORGAN, SAM, client_names


@pytest.mark.server_log
def test_no_client_name_reaches_the_server_log():
    log_path = os.environ.get("HAVEN_BROWSER_SERVE_LOG")
    if not log_path or not os.path.exists(log_path):
        pytest.skip("HAVEN_BROWSER_SERVE_LOG names no log (scripts/test sets it)")
    log = open(log_path, encoding="utf-8", errors="replace").read().lower()
    names = set(client_names(DANA)) | set(client_names(SAM)) | set(client_names(MORGAN))
    assert len(names) > 10, "the caseloads hold the demo's clients: %r" % sorted(names)
    # Whole words: "Sage" is a name, "message" is not one.
    leaked = sorted(name for name in names if re.search(r"\b%s\b" % re.escape(name.lower()), log))
    assert leaked == [], "client names in the server's log: %r" % leaked


@pytest.mark.server_log
def test_no_typed_clinical_text_reaches_the_server_log():
    log_path = os.environ.get("HAVEN_BROWSER_SERVE_LOG")
    if not log_path or not os.path.exists(log_path):
        pytest.skip("HAVEN_BROWSER_SERVE_LOG names no log (scripts/test sets it)")
    log = open(log_path, encoding="utf-8", errors="replace").read()
    assert "request" in log, "the log holds the server's request lines"
    leaked = [line for line in log.splitlines() if "fictional" in line.lower()]
    assert leaked == [], "typed clinical text in the server's log: %d lines" % len(leaked)
