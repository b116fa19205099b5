#!/usr/bin/env python3
"""Every message the test run sent holds no clinical text (#16: "no clinical text in any message,
sentinel check over every message"). Reads each message the local SMTP server stored (the Swift
suites', the PgBouncer run's and the browser suite's), decodes its parts, and fails on any of:
  - the tests' markers for clinical text ("Fictional", "SENTINEL");
  - a client's full name from the demo practice or the test fixtures;
  - a homework prompt's title or the opening of its instructions from the built-in library.
Usage: mail_sentinels.py MESSAGES_DIR (scripts/test runs it last, on HAVEN_TEST_SMTP_DIR)."""
import email
import email.policy
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def forbidden_phrases():
    phrases = {"fictional", "sentinel"}
    demo = open(os.path.join(ROOT, "Sources/haven/Operator/Demo/DemoData.swift"), encoding="utf-8").read()
    phrases |= {name.lower() for name in re.findall(r'\("([A-Z][a-z]+ [A-Z][a-z]+)", "', demo)}
    for path in glob.glob(os.path.join(ROOT, "Tests/**/*.swift"), recursive=True):
        text = open(path, encoding="utf-8").read()
        for name in re.findall(r'(?:legalName|preferredName): "([^"]+)"', text):
            if " " in name.strip() and len(name.strip()) > 5:
                phrases.add(name.strip().lower())
    library = open(os.path.join(ROOT, "sql/migrations/0013_homework.sql"), encoding="utf-8").read()
    for title, instructions in re.findall(r"::uuid, NULL, '((?:[^']|'')+)', '[a-z_]+',\s*'((?:[^']|'')+)'", library):
        phrases.add(title.replace("''", "'").lower())
        phrases.add(" ".join(instructions.replace("''", "'").split()[:6]).lower())
    return phrases


def message_text(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts + [raw.decode("utf-8", "replace")])


def main():
    directory = sys.argv[1]
    phrases = forbidden_phrases()
    assert len(phrases) > 30, "the forbidden list was read: %d phrases" % len(phrases)
    files = sorted(glob.glob(os.path.join(directory, "**", "*.eml"), recursive=True))
    assert len(files) > 20, "the test run's messages are in %s (%d found)" % (directory, len(files))
    found = []
    for path in files:
        text = " ".join(message_text(path).lower().split())
        found += ["%s: %r" % (os.path.basename(path), phrase) for phrase in sorted(phrases) if phrase in text]
    if found:
        print("clinical text in a message the tests sent:\n  " + "\n  ".join(found[:20]), file=sys.stderr)
        sys.exit(1)
    print("%d messages, %d phrases: none in any message" % (len(files), len(phrases)))


if __name__ == "__main__":
    main()
