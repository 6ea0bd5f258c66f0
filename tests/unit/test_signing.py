"""Board payload signatures: valid ones verify, any change or a foreign key fails."""

import json

from loa.signing import Signer, canonical, verify


def test_sign_and_verify(tmp_path):
    signer = Signer.load_or_create(tmp_path / "keys" / "k.pem")
    payload = signer.sign({"id": 7, "title": "Thông báo về dịch vụ công trực tuyến", "body": "…"})
    key = signer.public_key_document()["public_key"]
    assert verify(payload, key)
    # the signature survives a JSON round trip (what a board receives)
    assert verify(json.loads(json.dumps(payload, ensure_ascii=False)), key)


def test_key_is_kept_and_private(tmp_path):
    path = tmp_path / "keys" / "k.pem"
    a = Signer.load_or_create(path)
    b = Signer.load_or_create(path)
    assert a.key_id == b.key_id
    assert path.stat().st_mode & 0o077 == 0


def test_forged_unsigned_or_foreign(tmp_path):
    signer = Signer.load_or_create(tmp_path / "a.pem")
    other = Signer.load_or_create(tmp_path / "b.pem")
    key = signer.public_key_document()["public_key"]
    payload = signer.sign({"id": 7, "title": "Khẩn cấp: sơ tán"})
    forged = dict(payload, title="Khẩn cấp: giả mạo")
    assert not verify(forged, key)
    assert not verify({"id": 7, "title": "Khẩn cấp: sơ tán"}, key)
    assert not verify(other.sign({"id": 7, "title": "Khẩn cấp: sơ tán"}), key)
    assert not verify(dict(payload, signature={"alg": "Ed25519", "value": "!!notbase64"}), key)


def test_canonical_form_is_order_independent_and_utf8():
    assert canonical({"b": 1, "a": "ạ"}) == canonical({"a": "ạ", "b": 1}) == '{"a":"ạ","b":1}'.encode()
    assert canonical({"a": 1, "signature": {"x": 1}}) == b'{"a":1}'
