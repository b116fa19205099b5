#!/usr/bin/env python3
"""An independent decryptor for Haven's sealed values, written from docs/encryption.md alone.

Usage: haven_decrypt.py INPUT.json OUTPUT.json

INPUT.json holds a list of cases:
  {"masterKeyFile": "<text of the key file>", "kekVersion": 1, "wrappedKey": "<hex>",
   "keyId": "<hex, 16 bytes>", "subjectKind": "couple", "subjectId": "...",
   "sealed": "<hex>", "table": "...", "column": "...", "rowId": "...", "subject": "..."}
OUTPUT.json receives, per case, {"plaintext": "<hex>"} or {"error": "..."}.
Uses only the Python standard library and `cryptography` (AESGCM).
"""
import base64
import json
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def length_prefixed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def master_keys(text: str) -> dict:
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    keys = {}
    for line in lines:
        if ":" in line:
            version, encoded = line.split(":", 1)
            keys[int(version)] = base64.b64decode(encoded)
        else:
            keys[1] = base64.b64decode(line)
    return keys


def unwrap(keys: dict, case: dict) -> bytes:
    wrapped = bytes.fromhex(case["wrappedKey"])
    version = case["kekVersion"]
    aad = (b"haven-dek-v1" + length_prefixed(bytes.fromhex(case["keyId"]))
           + length_prefixed(case["subjectKind"].encode()) + length_prefixed(case["subjectId"].encode())
           + length_prefixed(str(version).encode()))
    return AESGCM(keys[version]).decrypt(wrapped[:12], wrapped[12:], aad)


def open_sealed(data_key: bytes, case: dict) -> bytes:
    sealed = bytes.fromhex(case["sealed"])
    if len(sealed) < 47 or sealed[0] != 1 or sealed[1] != 1 or sealed[18] != 12:
        raise ValueError("not a version-1 AES-256-GCM sealed value")
    header = sealed[:31]
    if header[2:18] != bytes.fromhex(case["keyId"]):
        raise ValueError("sealed with another data key")
    nonce = sealed[19:31]
    aad = header + b"".join(length_prefixed(case[f].encode()) for f in ("table", "column", "rowId", "subject"))
    return AESGCM(data_key).decrypt(nonce, sealed[31:], aad)


def main():
    cases = json.load(open(sys.argv[1]))
    results = []
    for case in cases:
        try:
            keys = master_keys(case["masterKeyFile"])
            results.append({"plaintext": open_sealed(unwrap(keys, case), case).hex()})
        except Exception as error:  # report, do not crash: tampered cases are expected to fail
            results.append({"error": type(error).__name__})
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
