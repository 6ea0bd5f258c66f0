{
  "alg": "Ed25519",
  "key_id": "c354162dd755fd71",
  "value": "exn0Dj1xVHOM9ksRCStBuxV/B+7+E+kuQfJPryxUHp8EBajeiHP85/J/jGbgdBKtZaHAN7iYH7E08VPQXjlgBw=="
}
