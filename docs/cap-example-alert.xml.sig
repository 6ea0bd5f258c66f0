{
  "alg": "Ed25519",
  "key_id": "e9302173ee65eb63",
  "value": "Jy39J4LPcdcwr9jdDrYQ6blLr2m93R0s7HMui/Yo8uG5/ddCP2h4WnxELFBkiAHf0BZRHMAGscwJxaItROdUDw=="
}
